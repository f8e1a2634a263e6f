-- :CadrePlan puts the plan at the top of the task buffer while the task
-- goes on; the executor's model stalls (scripted_models.py), the
-- statusline shows the task executing, and :CadreCancel stops it: the model
-- request is dropped, the task ends cancelled, and the file is untouched.
local here = debug.getinfo(1, 'S').source:sub(2):match('(.*/)') or './'
package.path = here .. '?.lua;' .. package.path
local H = require('helpers')

local ORIGINAL = "def hello(name):\n    return 'hello ' + name\n"

local models = H.models({ models = {
  ['plan-model'] = {
    { text = '```json\n{"steps": [{"title": "rename hello to greet", "files": ["greet.py"]}, '
      .. '{"title": "update the callers", "files": []}], "criteria": ["no hello left"]}\n```' },
  },
  ['exec-model'] = {
    { stall = 30, tool_calls = { { name = 'write_file', arguments = { path = 'greet.py', content = 'gone\n' } } } },
  },
  ['review-model'] = {},
} })

H.run(function()
  H.setup({ task = { view = 'vsplit' } })
  local dir = H.project({ ['greet.py'] = ORIGINAL })
  local path = dir .. '/greet.py'
  local buf, c = H.open(dir, 'greet.py')
  local task = require('cadre.task')

  H.notes = {}
  vim.cmd('CadreCancel')
  H.check(H.note('no cadre task is running and no cadre request is waiting') ~= nil,
    ':CadreCancel with nothing running says so')

  vim.cmd('CadrePlan Rename hello to greet everywhere')
  H.wait(function() return vim.fn.bufnr('cadre://task/task-1') ~= -1 end, ':CadrePlan opened cadre://task/task-1')
  local tbuf = vim.fn.bufnr('cadre://task/task-1')
  local twin = vim.fn.win_findbuf(tbuf)[1]
  H.eq(vim.api.nvim_win_get_width(twin) < vim.o.columns and vim.api.nvim_win_get_height(twin) > vim.o.lines - 4, true,
    'task.view = vsplit: the task is beside the code')
  local st = task.tasks[c.id .. ':task-1']
  H.wait(function() return st.status == 'executing' and #models.stalls() > 0 end,
    'the task reached the executor, whose model stalls')
  local lines = vim.api.nvim_buf_get_lines(tbuf, 0, -1, false)
  H.eq(lines[1], 'cadre task task-1 — plan', 'the header says plan')
  H.eq({ lines[4], lines[5], lines[6], lines[7], lines[8] },
    { 'plan:', '  1. rename hello to greet  [greet.py]', '  2. update the callers', 'criteria:', '  - no hello left' },
    ':CadrePlan puts the plan at the top, under the status')
  H.eq(vim.api.nvim_win_get_cursor(twin)[1], 4, '... and the task window shows it')
  H.contains(H.buf_text(tbuf), '(the plan is at the top: 2 steps, 1 criterion)', 'the stream points to it')
  H.eq(require('cadre').statusline(), 'cadre: task-1 executing', 'the statusline shows the running task')
  H.eq(vim.fn.getcompletion('CadreCancel ', 'cmdline'), { 'task-1' }, ':CadreCancel completes running tasks')

  H.notes = {}
  local t0 = vim.loop.now()
  vim.cmd('CadreCancel')
  H.check(H.note('cancelling task task-1') ~= nil, ':CadreCancel cancels the running task')
  H.eq(vim.api.nvim_buf_get_lines(tbuf, 2, 3, false)[1], 'status: cancelling', 'the header says cancelling at once')
  H.wait(function() return st.status == 'cancelled' end, 'the task ends cancelled', 10000)
  local ms = vim.loop.now() - t0
  H.check(ms < 5000, ('... in %d ms, long before the model would have answered (30 s)'):format(ms))
  H.wait(function()
    for _, s in ipairs(models.stalls()) do if s.hungUp then return true end end
  end, 'cadre closed the stalled model request')
  H.eq(vim.api.nvim_buf_get_lines(tbuf, 2, 3, false)[1], 'status: cancelled', 'the header says cancelled')
  H.contains(H.buf_text(tbuf), '── cancelled: your files are untouched ──', 'the stream ends cancelled')
  H.check(H.note('task task-1 cancelled') ~= nil, 'a notification says so')
  H.eq(require('cadre').statusline(), 'cadre: task-1 cancelled', 'the statusline shows it ended cancelled')
  H.eq(H.read(path), ORIGINAL, 'the file is untouched')
  H.eq(H.buf_text(buf), ORIGINAL, '... and its buffer')
  local sh = H.request('cadre/shadow.status')
  H.eq(sh and sh.tasks, {}, 'the cancelled task left nothing in its shadow')
  H.eq(#models.requests(), 2, 'the planner and the stalled executor were the only model requests')

  H.notes = {}
  vim.cmd('CadreCancel task-1')
  H.check(H.note('task task-1 already ended (cancelled)') ~= nil, ':CadreCancel on an ended task says so')
  H.notes = {}
  vim.cmd('CadreCancel nosuch')
  H.wait(function() return H.note("no task named 'nosuch'") ~= nil end,
    ':CadreCancel with an unknown name asks the server, which says it has no such task')
  -- The statusline drops an ended task after a while.
  task.LINGER_MS = 0
  H.eq(require('cadre').statusline():find('task', 1, true), nil, 'the statusline lets the ended task go')
end)
