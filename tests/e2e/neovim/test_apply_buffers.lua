-- :CadreApply with the changed files loaded in buffers: cadre hands the
-- change to Neovim (workspace/applyEdit) instead of writing under the
-- buffer. A buffer with unsaved typing gets the task's change merged in and
-- stays modified (the file on disk keeps the saved text until :write); u
-- takes the change back. A clean buffer gets the change and is written. A
-- file not loaded is written by cadre.
local here = debug.getinfo(1, 'S').source:sub(2):match('(.*/)') or './'
package.path = here .. '?.lua;' .. package.path
local H = require('helpers')

local APP = "def greet(name):\n    return 'hello ' + name\n\n\ndef shout(name):\n    return greet(name).upper()\n"
local LIB = "X = 1\n"
local OTHER = "Y = 1\n"

vim.ui.select = function(items, opts, on_choice)
  if opts.kind == 'cadre.approval' then return on_choice('allowOnce') end
  on_choice(items[1])
end

H.run(function()
  H.setup()
  local dir = H.project({ ['src/app.py'] = APP, ['src/lib.py'] = LIB, ['src/other.py'] = OTHER })
  local lib_buf = H.open(dir, 'src/lib.py')
  local buf, c = H.open(dir, 'src/app.py')
  H.check(c.config.capabilities.workspace.applyEdit == true, 'the client declares workspace.applyEdit')

  -- Unsaved typing at the top of app.py.
  vim.api.nvim_buf_set_lines(buf, 0, 0, false, { 'import sys' })
  H.check(vim.bo[buf].modified, 'app.py has unsaved changes')
  local typed = 'import sys\n' .. APP
  H.wait(function()
    local st = H.request('cadre/status')
    for _, d in ipairs((st and st.documents) or {}) do
      if d.uri:match('src/app%.py$') and (d.version or 0) > 0 and (d.bytes or 0) == #typed then return true end
    end
  end, 'cadre has the unsaved text (didChange)')

  -- The task changes the end of app.py, lib.py (clean buffer) and other.py (not loaded).
  for _, e in ipairs({
    H.edit('src/app.py', '    return greet(name).upper()\n', "    return greet(name).upper() + '!'\n"),
    H.edit('src/lib.py', 'X = 1\n', 'X = 2\n'),
    H.edit('src/other.py', 'Y = 1\n', 'Y = 2\n'),
  }) do
    e.task = 't1'
    local res, err = H.request('cadre/tools.call', e)
    H.check(err == nil and res and not res.isError, 'shadow edit: ' .. e.arguments.edits:match('^[^\n]+'), vim.inspect(err))
  end

  H.notes = {}
  vim.cmd('CadreApply t1')
  H.wait(function() return H.note('applied task t1') ~= nil end, ':CadreApply reported the apply')
  H.contains(H.note('applied task t1').msg, '1 written', '... one file written by cadre')
  H.contains(H.note('applied task t1').msg, '2 in buffers', '... two changed in their buffers')
  local want = typed:gsub("upper%(%)\n", "upper() + '!'\n")
  H.eq(H.buf_text(buf), want, "the dirty buffer holds the user's typing and the task's change")
  H.check(vim.bo[buf].modified, '... and is still modified (not saved behind the user)')
  H.eq(H.read(dir .. '/src/app.py'), APP, '... the file on disk keeps the saved text')
  H.check(H.note('changed in the buffer, not saved') ~= nil, '... and a notification says so')
  H.eq(H.buf_text(lib_buf), 'X = 2\n', 'the clean buffer got the change')
  H.check(not vim.bo[lib_buf].modified, '... and was written')
  H.eq(H.read(dir .. '/src/lib.py'), 'X = 2\n', '... so its file has it')
  H.eq(H.read(dir .. '/src/other.py'), 'Y = 2\n', 'the file not loaded was written by cadre')

  -- The change is one undo step in the buffer.
  vim.api.nvim_buf_call(buf, function() vim.cmd('silent undo') end)
  H.eq(H.buf_text(buf), typed, 'u takes the change back, leaving the typing')
  vim.api.nvim_buf_call(buf, function() vim.cmd('silent redo') end)
  vim.api.nvim_buf_call(buf, function() vim.cmd('silent write') end)
  H.eq(H.read(dir .. '/src/app.py'), want, ':write saves typing and change together')
  local st = H.request('cadre/shadow.status')
  H.eq(st and st.tasks, {}, 'nothing is left in the shadow')

  -- An overlapping change is a conflict: nothing applied.
  H.request('cadre/tools.call', { name = 'write_file', task = 't2', arguments = { path = 'src/app.py', content = 'gone\n' } })
  H.request('cadre/tools.call', { name = 'write_file', task = 't2', arguments = { path = 'src/other.py', content = 'Y = 9\n' } })
  vim.api.nvim_buf_set_lines(buf, 0, 1, false, { 'import os' })
  vim.wait(400)
  H.notes = {}
  vim.cmd('CadreApply t2')
  H.wait(function() return H.note('conflict') ~= nil end, 'an overlap with unsaved typing is reported')
  H.contains(H.note('conflict').msg, 'src/app.py', '... naming the file')
  H.eq(H.read(dir .. '/src/other.py'), 'Y = 2\n', '... and nothing was applied')
end)
