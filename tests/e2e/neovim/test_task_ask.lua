-- :CadreAsk against three scripted models (planner, executor, reviewer):
-- the task's events stream into cadre://task/task-1 — status, the plan,
-- tokens per role, tool calls (one fails), pyflakes' finding on the shadow,
-- a review asking for a change then approving — and it ends ready with the
-- diff and the commands that land it. The file is untouched until
-- :CadreApply, run from the task buffer without a name, is approved through
-- vim.ui.select; then the file on disk and its buffer hold the change.
local here = debug.getinfo(1, 'S').source:sub(2):match('(.*/)') or './'
package.path = here .. '?.lua;' .. package.path
local H = require('helpers')

local ORIGINAL = "def hello(name):\n    return 'hello ' + name\n"
local FINAL = "def hello(name):\n    return 'hello ' + name\n\n\ndef farewell(name):\n"
  .. "    \"\"\"Say goodbye.\"\"\"\n    return 'goodbye ' + name\n"
local PLAN = '{"steps": [{"title": "add farewell(name)", "files": ["greet.py"]}], '
  .. '"criteria": ["farewell(name) returns \\"goodbye \\" + name", "it has a docstring"]}'

local models = H.models({ models = {
  ['plan-model'] = {
    { tool_calls = { { name = 'read_file', arguments = { path = 'greet.py' } } } },
    { text = 'Here is the plan:\n```json\n' .. PLAN .. '\n```' },
  },
  ['exec-model'] = {
    { tool_calls = { { name = 'read_file', arguments = { path = 'missing.py' } } } },
    { tool_calls = { H.edit('greet.py', "def hello(name):\n    return 'hello ' + name\n",
      "def hello(name):\n    return 'hello ' + name\n\n\ndef farewell(name):\n    return 'goodbye ' + nam\n") } },
    { text = 'Added farewell.' },
    { tool_calls = { H.edit('greet.py', "    return 'goodbye ' + nam\n", "    return 'goodbye ' + name\n") } },
    { text = 'Fixed the typo.' },
    { tool_calls = { H.edit('greet.py', 'def farewell(name):\n', 'def farewell(name):\n    """Say goodbye."""\n') } },
    { text = 'Added the docstring.' },
  },
  ['review-model'] = {
    { text = '{"approved": false, "findings": ["farewell has no docstring"]}' },
    { text = '{"approved": true, "findings": []}' },
  },
} })

local asked = {}
vim.ui.select = function(items, opts, on_choice)
  local preview
  for _, w in ipairs(vim.api.nvim_list_wins()) do
    local b = vim.api.nvim_win_get_buf(w)
    if vim.api.nvim_buf_get_name(b):match('^cadre://approval/') then preview = H.buf_text(b) end
  end
  table.insert(asked, { items = items, kind = opts.kind, preview = preview })
  on_choice(opts.kind == 'cadre.approval' and 'allowOnce' or nil)
end

local function find(lines, pattern, from)
  for i = from or 1, #lines do
    if lines[i]:find(pattern, 1, true) then return i end
  end
end

H.run(function()
  H.setup()
  local dir = H.project({ ['greet.py'] = ORIGINAL })
  local path = dir .. '/greet.py'
  local buf = H.open(dir, 'greet.py')
  local task = require('cadre.task')
  local code_win = vim.api.nvim_get_current_win()

  vim.cmd('CadreAsk Add a farewell(name) function next to hello.')
  H.wait(function() return vim.fn.bufnr('cadre://task/task-1') ~= -1 end, ':CadreAsk opened cadre://task/task-1')
  local tbuf = vim.fn.bufnr('cadre://task/task-1')
  H.eq(vim.api.nvim_get_current_win(), code_win, 'the split keeps the cursor in the code window')
  local twin = vim.fn.win_findbuf(tbuf)[1]
  H.check(twin ~= nil and vim.api.nvim_win_get_config(twin).relative == '', 'the task streams in a split (task.view)')
  H.eq(vim.bo[tbuf].buftype, 'nofile', 'the task buffer is a scratch buffer')

  local st = task.tasks[require('cadre.client').get(buf).id .. ':task-1']
  H.wait(function() return st and st.status == 'ready' end, 'the task ends ready', 20000)
  H.wait(function() return H.buf_text(tbuf):find('── next ──', 1, true) ~= nil end, 'the end of the task is shown')
  local text = H.buf_text(tbuf)
  local lines = vim.api.nvim_buf_get_lines(tbuf, 0, -1, false)
  H.eq(lines[1], 'cadre task task-1 — ask', 'the header names the task')
  H.eq(lines[2], 'prompt: Add a farewell(name) function next to hello.', '... and the prompt')
  H.eq(lines[3], 'status: ready', 'the status line in the header ends "ready"')
  -- The order the loop ran in.
  local order = { '── planning ──', '→ read_file greet.py  (planner)  ✓', 'plan:', '── executing ──',
    '→ read_file missing.py  ✗ failed', '→ edit_file greet.py (1 block)  ✓', 'checks (pyflakes, cadre-check): the change introduced 1 problem:',
    '── checking ──', 'review by reviewer: changes requested', '  - farewell has no docstring',
    'review by reviewer: approved', '── diff: 1 file, +5 −0 ──', '── next ──' }
  local at, missing = 0, {}
  for _, want in ipairs(order) do
    local i = find(lines, want, at + 1)
    if i then at = i else table.insert(missing, want) end
  end
  -- "checking" comes before its result; check it separately.
  H.check(#missing == 0 or (#missing == 1 and missing[1] == '── checking ──'), 'the events appear in order',
    'missing or out of order: ' .. vim.inspect(missing) .. '\n' .. text)
  H.contains(text, '  1. add farewell(name)  [greet.py]', 'the plan shows its steps and files')
  H.contains(text, 'criteria:\n  - farewell(name) returns "goodbye " + name\n  - it has a docstring',
    '... and its criteria')
  H.contains(text, 'planner:\n  Here is the plan:', "the planner's tokens stream under its role")
  H.contains(text, 'executor:\n  Added farewell.', "the executor's tokens stream under its role")
  H.contains(text, 'no such file', "the failed tool call's result is shown")
  H.contains(text, "greet.py:6:25: error: undefined name 'nam' (pyflakes)", 'the diagnostic the change introduced')
  H.contains(text, 'checks (pyflakes, cadre-check): no new problems', 'the fixed change checks clean')
  H.contains(text, '+def farewell(name):\n+    """Say goodbye."""\n+    return \'goodbye \' + name',
    'the final diff is in the buffer')
  local function groups(row)
    local g = {}
    for _, m in ipairs(vim.api.nvim_buf_get_extmarks(tbuf, task.ns, { row, 0 }, { row, -1 }, { details = true })) do
      table.insert(g, m[4].hl_group)
    end
    return g
  end
  H.eq(groups(find(lines, '+def farewell(name):') - 1), { 'CadreTaskAdd' }, 'added lines are highlighted')
  H.eq(groups(2), { 'CadreTaskTitle' }, 'the final status line is highlighted once')
  H.eq(groups(find(lines, '→ read_file missing.py') - 1), { 'CadreTaskError' }, 'a failed call is highlighted as an error')
  H.contains(text, ':CadreApply task-1', 'the hints name :CadreApply for the task')
  H.contains(text, ':CadreDiff task-1', '... :CadreDiff')
  H.contains(text, ':CadreDiscard task-1', '... and :CadreDiscard')
  H.check(H.note('task task-1 ready: 1 file changed (+5 −0)') ~= nil, 'a notification says the task is ready')
  H.eq(require('cadre').statusline(), 'cadre: task-1 ready', 'the statusline shows the ready task')
  H.eq(H.read(path), ORIGINAL, 'the file is untouched before :CadreApply')
  H.check(vim.api.nvim_win_get_cursor(twin)[1] == vim.api.nvim_buf_line_count(tbuf),
    'the task window followed the stream to the end')
  local reqs = models.requests()
  local by = {}
  for _, r in ipairs(reqs) do by[r.model] = (by[r.model] or 0) + 1 end
  H.eq(by, { ['plan-model'] = 2, ['exec-model'] = 7, ['review-model'] = 2 }, 'each model answered its part')

  -- :CadreDiff from the task buffer: that task's diff.
  vim.api.nvim_set_current_win(twin)
  vim.cmd('CadreDiff')
  H.wait(function() return vim.api.nvim_buf_get_name(0):match('cadre://diff/task%-1$') ~= nil end,
    ':CadreDiff in the task buffer shows that task')
  vim.cmd('close')

  -- :CadreApply from the task buffer, approved.
  vim.api.nvim_set_current_win(twin)
  H.notes = {}
  vim.cmd('CadreApply')
  H.wait(function() return H.note('applied task task-1') ~= nil end, ':CadreApply in the task buffer applied task-1')
  H.eq(asked[#asked] and asked[#asked].kind, 'cadre.approval', 'the apply was approved through vim.ui.select')
  H.contains(asked[#asked] and asked[#asked].preview, '+def farewell(name):', '... with the diff on screen')
  H.eq(H.read(path), FINAL, 'the file on disk holds the reviewed change')
  H.eq(H.buf_text(buf), FINAL, 'its buffer has it (changed in place through workspace/applyEdit, then written)')
  H.check(not vim.bo[buf].modified, '... and is saved')
  H.contains(H.buf_text(tbuf), '── applied task task-1: 0 written, 0 merged, 0 deleted, 1 in buffers ──', 'the task buffer says so')
  vim.api.nvim_set_current_win(code_win)
  local sl = require('cadre').statusline()
  H.check(sl:find('task', 1, true) == nil, 'the statusline forgets the applied task', sl)
  H.out('     the task buffer at the end:\n       ' .. H.buf_text(tbuf):gsub('\n', '\n       '))
  local sh = H.request('cadre/shadow.status')
  H.eq(sh and sh.tasks, {}, 'nothing is left in the shadow')
end)
