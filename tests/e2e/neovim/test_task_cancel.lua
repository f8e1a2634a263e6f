-- :CadrePlan is plan-first: the server stops after the plan (cadre/task.start
-- mode "plan"), which goes to the top of the task buffer; nothing is edited
-- and no executor runs. x in the task buffer carries the plan out as a new
-- task whose prompt holds the plan; its executor's model stalls
-- (scripted_models.py), the statusline shows the task executing, and
-- :CadreCancel stops it: the model request is dropped, the task ends
-- cancelled, and the file is untouched.
local here = debug.getinfo(1, 'S').source:sub(2):match('(.*/)') or './'
package.path = here .. '?.lua;' .. package.path
local H = require('helpers')

local ORIGINAL = "def hello(name):\n    return 'hello ' + name\n"

local models = H.models({ models = {
  ['plan-model'] = {
    { text = '```json\n{"steps": [{"title": "rename hello to greet", "files": ["greet.py"]}, '
      .. '{"title": "update the callers", "files": []}], "criteria": ["no hello left"]}\n```' },
    -- x: the new task's planner is handed the agreed plan and answers with it.
    { text = '```json\n{"steps": [{"title": "rename hello to greet", "files": ["greet.py"]}], "criteria": ["no hello left"]}\n```' },
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
  local pbuf = vim.fn.bufnr('cadre://task/task-1')
  local pwin = vim.fn.win_findbuf(pbuf)[1]
  H.eq(vim.api.nvim_win_get_width(pwin) < vim.o.columns and vim.api.nvim_win_get_height(pwin) > vim.o.lines - 4, true,
    'task.view = vsplit: the task is beside the code')
  local planned = task.tasks[c.id .. ':task-1']
  H.wait(function() return planned.status == 'planned' end, ':CadrePlan ends planned (plan-first)')
  local lines = vim.api.nvim_buf_get_lines(pbuf, 0, -1, false)
  H.eq(lines[1], 'cadre task task-1 — plan', 'the header says plan')
  H.eq({ lines[4], lines[5], lines[6], lines[7], lines[8] },
    { 'plan:', '  1. rename hello to greet  [greet.py]', '  2. update the callers', 'criteria:', '  - no hello left' },
    ':CadrePlan puts the plan at the top, under the status')
  H.eq(vim.api.nvim_win_get_cursor(pwin)[1], 4, '... and the task window shows it')
  H.contains(H.buf_text(pbuf), '── planned: no file was changed ──', 'the stream ends planned')
  H.check(H.note('task task-1 planned: 2 steps') ~= nil, 'a notification says the plan is ready')
  H.eq(#models.requests(), 1, 'only the planner was asked')
  H.eq(models.requests()[1].model, 'plan-model', '... the planner model')
  H.eq(H.read(path), ORIGINAL, 'planning changed no file')

  -- x carries the plan out.
  vim.api.nvim_set_current_win(pwin)
  vim.api.nvim_feedkeys('x', 'x', false)
  H.wait(function() return vim.fn.bufnr('cadre://task/task-2') ~= -1 end, 'x in the plan started task-2')
  local tbuf = vim.fn.bufnr('cadre://task/task-2')
  local st = task.tasks[c.id .. ':task-2']
  H.wait(function() return st.status == 'executing' and #models.stalls() > 0 end,
    'the task reached the executor, whose model stalls')
  local sent = H.sent(models.requests()[2] or {}) .. H.sent(models.requests()[3] or {})
  H.contains(sent, 'Carry out this plan', "the new task's prompt carries the agreed plan")
  H.contains(sent, 'rename hello to greet', '... with its steps')
  H.contains(H.buf_text(tbuf), 'prompt: Rename hello to greet everywhere', 'the new task shows the original prompt')
  vim.api.nvim_set_current_win(vim.fn.bufwinid(buf))
  H.eq(require('cadre').statusline(), 'cadre: task-2 executing', 'the statusline shows the running task')
  H.eq(vim.fn.getcompletion('CadreCancel ', 'cmdline'), { 'task-2' }, ':CadreCancel completes running tasks')

  H.notes = {}
  local t0 = vim.loop.now()
  vim.cmd('CadreCancel')
  H.check(H.note('cancelling task task-2') ~= nil, ':CadreCancel cancels the running task')
  H.eq(vim.api.nvim_buf_get_lines(tbuf, 2, 3, false)[1], 'status: cancelling', 'the header says cancelling at once')
  H.wait(function() return st.status == 'cancelled' end, 'the task ends cancelled', 10000)
  local ms = vim.loop.now() - t0
  H.check(ms < 5000, ('... in %d ms, long before the model would have answered (30 s)'):format(ms))
  H.wait(function()
    for _, s in ipairs(models.stalls()) do if s.hungUp then return true end end
  end, 'cadre closed the stalled model request')
  H.eq(vim.api.nvim_buf_get_lines(tbuf, 2, 3, false)[1], 'status: cancelled', 'the header says cancelled')
  H.contains(H.buf_text(tbuf), '── cancelled: your files are untouched ──', 'the stream ends cancelled')
  H.check(H.note('task task-2 cancelled') ~= nil, 'a notification says so')
  H.eq(require('cadre').statusline(), 'cadre: task-2 cancelled', 'the statusline shows it ended cancelled')
  H.eq(H.read(path), ORIGINAL, 'the file is untouched')
  H.eq(H.buf_text(buf), ORIGINAL, '... and its buffer')
  local sh = H.request('cadre/shadow.status')
  H.eq(sh and sh.tasks, {}, 'the cancelled task left nothing in its shadow')
  H.eq(#models.requests(), 3, 'the planner, the executed plan\'s planner and the stalled executor were the only model requests')

  H.notes = {}
  vim.cmd('CadreCancel task-2')
  H.check(H.note('task task-2 already ended (cancelled)') ~= nil, ':CadreCancel on an ended task says so')
  H.notes = {}
  vim.cmd('CadreCancel nosuch')
  H.wait(function() return H.note("no task named 'nosuch'") ~= nil end,
    ':CadreCancel with an unknown name asks the server, which says it has no such task')
  -- The statusline drops an ended task after a while.
  task.LINGER_MS = 0
  H.eq(require('cadre').statusline():find('task', 1, true), nil, 'the statusline lets the ended task go')
end)
