-- :'<,'>CadreExplain sends a task whose prompt names the file and lines
-- and carries the code, asking for no edits; the explanation (the
-- executor's tokens) streams into a float (task.view = 'float') and the task
-- ends without a change. A model that edits anyway is called out, and
-- :CadreDiscard! in the task window drops its change.
local here = debug.getinfo(1, 'S').source:sub(2):match('(.*/)') or './'
package.path = here .. '?.lua;' .. package.path
local H = require('helpers')

local ORIGINAL = "def hello(name):\n    return 'hello ' + name\n"
local PLAN = '{"steps": [{"title": "explain hello", "files": ["greet.py"]}], "criteria": []}'

local models = H.models({ models = {
  ['plan-model'] = { { text = PLAN }, { text = PLAN } },
  ['exec-model'] = {
    { text = "hello(name) returns 'hello ' followed by the name,\nbuilt by string concatenation." },
    { tool_calls = { H.edit('greet.py', "    return 'hello ' + name\n", "    return f'hello {name}'\n") } },
    { text = 'I also switched it to an f-string.' },
  },
  ['review-model'] = { { text = '{"approved": true, "findings": []}' } },
} })

H.run(function()
  H.setup({ task = { view = 'float', tokens = false } })
  local dir = H.project({ ['greet.py'] = ORIGINAL })
  local path = dir .. '/greet.py'
  local buf, c = H.open(dir, 'greet.py')
  local code_win = vim.api.nvim_get_current_win()
  local task = require('cadre.task')

  -- A visual selection of both lines.
  vim.cmd('normal! ggVj')
  vim.cmd('normal! \27')
  vim.cmd("'<,'>CadreExplain why concatenation?")
  H.wait(function() return vim.fn.bufnr('cadre://task/task-1') ~= -1 end, ':CadreExplain opened cadre://task/task-1')
  local tbuf = vim.fn.bufnr('cadre://task/task-1')
  local float = vim.api.nvim_get_current_win()
  H.eq(vim.api.nvim_win_get_buf(float), tbuf, 'task.view = float: the task is in the current window ...')
  H.check(vim.api.nvim_win_get_config(float).relative ~= '', '... a float')
  local st = task.tasks[c.id .. ':task-1']
  H.wait(function() return st.status == 'no-change' end, 'the explanation ends without a change')
  local lines = vim.api.nvim_buf_get_lines(tbuf, 0, -1, false)
  H.eq(lines[1], 'cadre task task-1 — explain', 'the header says explain')
  H.eq(lines[2], 'prompt: explain greet.py:1-2 — why concatenation?', '... with the file, the lines and the question')
  local text = H.buf_text(tbuf)
  H.contains(text, "executor:\n  hello(name) returns 'hello ' followed by the name,\n  built by string concatenation.",
    "the explanation (the executor's tokens) is shown, even with task.tokens = false")
  H.check(not text:find('planner:', 1, true), "task.tokens = false leaves out the other roles' tokens")
  H.contains(text, '── done: no file was changed ──', 'it ends saying no file changed')
  H.check(H.note('task task-1: done, no file changed') ~= nil, 'a notification says so')
  local sent = H.sent(models.requests()[1])
  H.contains(sent, 'Explain the selected code: greet.py, lines 1-2.', 'the prompt names the file and the lines')
  H.contains(sent, "```python\ndef hello(name):\n    return 'hello ' + name\n```", '... carries the code')
  H.contains(sent, 'Do not change, create or delete any file', '... asks for no edits')
  H.contains(sent, 'The user asks: why concatenation?', "... and has the user's question")

  -- No range: the cursor's line. This model edits anyway.
  vim.api.nvim_set_current_win(code_win)
  vim.api.nvim_win_set_cursor(0, { 2, 0 })
  H.notes = {}
  vim.cmd('CadreExplain')
  H.wait(function() return vim.fn.bufnr('cadre://task/task-2') ~= -1 end, 'a second :CadreExplain opened task-2')
  local tbuf2 = vim.fn.bufnr('cadre://task/task-2')
  H.eq(vim.api.nvim_win_get_buf(float), tbuf2, '... in the same float')
  local floats = vim.tbl_filter(function(w) return vim.api.nvim_win_get_config(w).relative ~= '' end,
    vim.api.nvim_list_wins())
  H.eq(#floats, 1, '... which is the only one')
  local st2 = task.tasks[c.id .. ':task-2']
  H.wait(function() return st2.status == 'ready' end, 'the task that edited ends ready')
  H.wait(function() return H.note('although it was only asked to explain') ~= nil end,
    'a warning says the model edited although asked only to explain')
  H.eq(H.note('although it was only asked to explain').level, vim.log.levels.WARN, '... at WARN level')
  H.contains(H.buf_text(tbuf2), 'The model changed files although it was only asked to explain.', '... so does the buffer')
  H.contains(H.buf_text(tbuf2), "+    return f'hello {name}'", '... above the diff')
  H.contains(H.sent(models.requests()[4]), 'greet.py, line 2.', 'without a range, the line under the cursor')
  H.eq(H.read(path), ORIGINAL, 'the file is untouched')

  vim.api.nvim_set_current_win(float)
  H.notes = {}
  vim.cmd('CadreDiscard!')
  H.wait(function() return H.note('discarded task task-2') ~= nil end, ':CadreDiscard! in the task float drops task-2')
  H.contains(H.buf_text(tbuf2), '── discarded task task-2: 1 file ──', 'the task buffer says so')
  H.eq(H.read(path), ORIGINAL, 'the file is still untouched')
  H.eq(H.buf_text(buf), ORIGINAL, '... and its buffer')
  vim.cmd('normal q')
  H.check(not vim.api.nvim_win_is_valid(float), 'q closes the task float')

  -- Events the scripted models do not produce: text with line breaks, a
  -- gap in the numbering, a kind this plugin does not know.
  local ctx = { client_id = c.id }
  local seq = st.seq
  task.on_event(nil, { task = 'task-1', seq = seq + 1, kind = 'error', data = { message = 'first\nsecond' } }, ctx)
  task.on_event(nil, { task = 'task-1', seq = seq + 4, kind = 'someday', data = {} }, ctx)
  task.on_event(nil, { task = 'task-1', seq = seq + 5, kind = 'review',
    data = { model = 'm', approved = false, findings = { 'a\nb' } } }, ctx)
  local tail = table.concat(vim.api.nvim_buf_get_lines(tbuf, -7, -1, false), '\n')
  H.eq(tail, 'error: first\nsecond\n(2 events lost)\nreview by m: changes requested\n  - a\n    b',
    'line breaks in event text, a gap in seq and an unknown kind are shown sanely')
end)
