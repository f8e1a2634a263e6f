-- :CadreCheckpoints against the real server: create, the list in
-- cadre://checkpoints, d for a checkpoint's diff against the files now, r
-- to restore it (asked here, then approved with its diff through
-- cadre/approval.request) with the buffer reloaded, and the subcommands.
local here = debug.getinfo(1, 'S').source:sub(2):match('(.*/)') or './'
package.path = here .. '?.lua;' .. package.path
local H = require('helpers')

local ORIGINAL = "def greet(name):\n    return 'hello ' + name\n"
local CHANGED = "def greet(name):\n    return f'hello {name}!'\n"

local asked = {}
local answers = { ['cadre.confirm'] = 'Restore', ['cadre.approval'] = 'allowOnce' }
vim.ui.select = function(items, opts, on_choice)
  local entry = { kind = opts.kind, prompt = opts.prompt }
  for _, w in ipairs(vim.api.nvim_list_wins()) do
    local b = vim.api.nvim_win_get_buf(w)
    if vim.api.nvim_buf_get_name(b):match('^cadre://approval/') then entry.preview = H.buf_text(b) end
  end
  table.insert(asked, entry)
  on_choice(answers[opts.kind])
end

H.run(function()
  H.setup()
  local dir = H.project({ ['src/app.py'] = ORIGINAL })
  local path = dir .. '/src/app.py'
  local buf = H.open(dir, 'src/app.py')

  H.notes = {}
  vim.cmd('CadreCheckpoints create before the change')
  H.wait(function() return H.note('checkpoint #1') ~= nil end, ':CadreCheckpoints create took checkpoint #1')

  -- A change lands through the shadow (the buffer is clean: written after).
  H.request('cadre/tools.call', { name = 'write_file', task = 't1', arguments = { path = 'src/app.py', content = CHANGED } })
  H.notes = {}
  vim.cmd('CadreApply t1')
  H.wait(function() return H.note('applied task t1') ~= nil end, 'the task was applied')
  H.eq(H.read(path), CHANGED, 'the file has the change')

  vim.cmd('CadreCheckpoints')
  H.wait(function() return vim.api.nvim_buf_get_name(0):match('cadre://checkpoints$') ~= nil end,
    ':CadreCheckpoints opened cadre://checkpoints')
  local list = vim.api.nvim_get_current_buf()
  H.contains(H.buf_text(list), '#1', 'the list shows checkpoint #1')
  H.contains(H.buf_text(list), 'before the change', '... with its message')
  H.eq(vim.bo[list].buftype, 'nofile', 'the list is a scratch buffer')

  -- d: the checkpoint's diff against the files now, in a split.
  local row = H.row_of(list, 'before the change')
  vim.api.nvim_win_set_cursor(0, { row, 0 })
  local wins = #vim.api.nvim_tabpage_list_wins(0)
  vim.api.nvim_feedkeys('d', 'x', false)
  H.wait(function() return vim.api.nvim_buf_get_name(0):match('cadre://checkpoint/.*/1$') ~= nil end,
    'd opened the diff of #1')
  local d = H.buf_text(0)
  H.contains(d, "-    return 'hello ' + name", 'the diff shows the line as the checkpoint has it')
  H.contains(d, "+    return f'hello {name}!'", '... and as it is now')
  H.eq(vim.bo.filetype, 'diff', 'the diff buffer has filetype diff')
  H.eq(#vim.api.nvim_tabpage_list_wins(0), wins + 1, '... in a split')

  -- r: restore #1, asked here first, then approved with its diff.
  vim.api.nvim_set_current_win(vim.fn.bufwinid(list))
  vim.api.nvim_win_set_cursor(0, { H.row_of(list, 'before the change'), 0 })
  asked = {}
  H.notes = {}
  vim.api.nvim_feedkeys('r', 'x', false)
  H.wait(function() return H.note('restored checkpoint #1') ~= nil end, 'r restored checkpoint #1')
  H.eq(asked[1] and asked[1].kind, 'cadre.confirm', 'the plugin asked first')
  H.contains(asked[1] and asked[1].prompt, 'restore the files to checkpoint #1', '... naming the checkpoint')
  H.eq(asked[2] and asked[2].kind, 'cadre.approval', 'then the server asked for approval')
  H.contains(asked[2] and asked[2].preview, "+    return 'hello ' + name", '... showing the diff')
  H.contains(H.note('restored checkpoint #1').msg, 'undo: restore #', 'the message names the undo checkpoint')
  H.eq(H.read(path), ORIGINAL, 'the file is back as checkpoint #1 had it')
  H.eq(H.buf_text(buf), ORIGINAL, '... and its buffer was reloaded')
  H.wait(function() return H.buf_text(list):find('before restoring #1', 1, true) ~= nil end,
    'the list was refreshed with the undo checkpoint')

  -- Declining here sends nothing.
  answers['cadre.confirm'] = 'Keep'
  asked = {}
  vim.cmd('CadreCheckpoints restore latest')
  H.wait(function() return #asked > 0 end, ':CadreCheckpoints restore asks')
  vim.wait(300)
  H.eq(#asked, 1, '... and Keep stops it there (no approval asked)')
  H.eq(H.read(path), ORIGINAL, '... the file unchanged')

  -- ! skips the question here; the undo checkpoint brings the change back.
  asked = {}
  H.notes = {}
  vim.cmd('CadreCheckpoints! restore latest')
  H.wait(function() return H.note('restored checkpoint') ~= nil end, ':CadreCheckpoints! restore latest restored')
  H.eq(asked[1] and asked[1].kind, 'cadre.approval', '... with only the server asking')
  H.eq(H.read(path), CHANGED, 'the undo checkpoint brought the change back')

  vim.cmd('CadreCheckpoints diff #1')
  H.wait(function() return vim.api.nvim_buf_get_name(0):match('cadre://checkpoint/.*/1$') ~= nil end,
    ':CadreCheckpoints diff #1 opened its diff')
  H.notes = {}
  vim.cmd('CadreCheckpoints restore #99')
  H.wait(function() return H.note('no checkpoint #99') ~= nil end, 'an unknown checkpoint is an error')
  H.notes = {}
  vim.cmd('CadreCheckpoints frobnicate')
  H.check(H.note('unknown :CadreCheckpoints subcommand') ~= nil, 'an unknown subcommand says so')
  H.eq(vim.fn.getcompletion('CadreCheckpoints re', 'cmdline'), { 'restore' }, 'subcommands complete')
end)
