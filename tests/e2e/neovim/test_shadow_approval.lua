-- An edit through cadre/tools.call lands in a task's shadow; :CadreDiff
-- shows it beside the real file and as a unified diff; :CadreApply asks
-- through cadre/approval.request → vim.ui.select (the diff shown first) and,
-- allowed, writes the file and reloads the buffer; denied, leaves it;
-- :CadreDiscard drops a task; :CadreCancel stops a running request.
local here = debug.getinfo(1, 'S').source:sub(2):match('(.*/)') or './'
package.path = here .. '?.lua;' .. package.path
local H = require('helpers')

local ORIGINAL = "def greet(name):\n    return 'hello ' + name\n"
local CHANGED = "def greet(name):\n    return f'hello {name}!'\n"
local EDIT = "src/app.py\n<<<<<<< SEARCH\n    return 'hello ' + name\n=======\n    return f'hello {name}!'\n>>>>>>> REPLACE\n"

-- vim.ui.select stand-in: records what was asked and answers with
-- answers[kind] (a choice, or a function of the items), optionally later.
local asked = {}
local answers = {}
local answer_later = false
vim.ui.select = function(items, opts, on_choice)
  local entry = { items = items, opts = opts, kind = opts.kind, labels = {} }
  for _, it in ipairs(items) do table.insert(entry.labels, opts.format_item and opts.format_item(it) or it) end
  -- What is on screen while the question is asked.
  entry.statusline = require('cadre').statusline()
  for _, w in ipairs(vim.api.nvim_list_wins()) do
    local b = vim.api.nvim_win_get_buf(w)
    if vim.api.nvim_buf_get_name(b):match('^cadre://approval/') then
      entry.preview = H.buf_text(b)
      entry.preview_ft = vim.bo[b].filetype
      entry.preview_float = vim.api.nvim_win_get_config(w).relative ~= ''
    end
  end
  table.insert(asked, entry)
  local a = answers[opts.kind]
  local choice = type(a) == 'function' and a(items) or a
  if answer_later then
    vim.defer_fn(function() on_choice(choice) end, 50)
  else
    on_choice(choice)
  end
end

H.run(function()
  H.setup()
  local dir = H.project({ ['src/app.py'] = ORIGINAL, ['src/other.py'] = 'X = 1\n' })
  local path = dir .. '/src/app.py'
  local buf, c = H.open(dir, 'src/app.py')
  H.check(c.config.capabilities.experimental.cadre.approvals == true,
    'the client declares capabilities.experimental.cadre.approvals')

  -- An agent's edit, through the client's own request.
  local res, err = H.request('cadre/tools.call', { name = 'edit_file', task = 't1', arguments = { edits = EDIT } })
  H.check(err == nil and res and not res.isError, 'edit_file into task t1 succeeded', vim.inspect(err or res))
  H.eq(H.read(path), ORIGINAL, 'the real file is untouched by the shadow edit')

  H.eq(vim.fn.getcompletion('CadreApply ', 'cmdline'), { 't1' }, 'task names complete from cadre/shadow.status')

  -- :CadreDiff in the changed file: real | shadow, both in diff mode.
  local real_win = vim.api.nvim_get_current_win()
  vim.cmd('CadreDiff t1')
  local shadow_name = 'cadre://shadow/t1/src/app.py'
  H.wait(function() return vim.api.nvim_buf_get_name(0) == shadow_name end, ':CadreDiff opened ' .. shadow_name)
  H.eq(H.buf_text(0), CHANGED, 'the shadow buffer holds the shadow version')
  H.check(vim.wo.diff and vim.wo[real_win].diff, 'both windows are in diff mode')
  H.eq(#vim.api.nvim_tabpage_list_wins(0), 2, 'real file and shadow side by side')
  H.eq(vim.bo.filetype, 'python', 'the shadow buffer has the real file type')

  -- :CadreDiff! → the unified diff.
  vim.cmd('CadreDiff! t1')
  H.wait(function() return vim.api.nvim_buf_get_name(0):match('cadre://diff/t1$') ~= nil end, ':CadreDiff! opened cadre://diff/t1')
  local d = H.buf_text(0)
  H.contains(d, '+++ b/src/app.py', 'unified diff names the file')
  H.contains(d, "+    return f'hello {name}!'", 'unified diff shows the added line')
  H.eq(vim.bo.filetype, 'diff', 'unified diff buffer has filetype diff')
  -- <CR> on a hunk: that file beside its shadow version.
  vim.cmd('only')
  vim.cmd('vsplit')
  vim.api.nvim_win_set_cursor(0, { vim.fn.search("^+    return f'", 'n'), 0 })
  vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes('<CR>', true, false, true), 'x', false)
  H.wait(function() return vim.api.nvim_buf_get_name(0) == shadow_name end, '<CR> in the unified diff opened the side-by-side diff')
  H.check(vim.wo.diff, '... in diff mode')
  vim.cmd('only')
  vim.cmd('diffoff!')
  vim.cmd('buffer ' .. buf)
  real_win = vim.api.nvim_get_current_win()

  -- :CadreApply, allowed.
  vim.cmd('CadreDiff t1')
  H.wait(function() return vim.api.nvim_buf_get_name(0) == shadow_name end, ':CadreDiff again reuses the shadow buffer')
  vim.api.nvim_set_current_win(real_win)
  answers['cadre.approval'] = 'allowOnce'
  H.notes = {}
  vim.cmd('CadreApply t1')
  H.wait(function() return H.note('applied task t1') ~= nil end, ':CadreApply reported the apply')
  local q = asked[#asked]
  H.eq(q and q.kind, 'cadre.approval', 'the approval came to vim.ui.select')
  H.eq(q and q.items, { 'allowOnce', 'deny' }, 'choices come from params.choices')
  H.eq(q and q.labels, { 'Allow once', 'Deny' }, 'choices are labelled')
  H.contains(q and q.opts.prompt, 'apply an edit to 1 file', 'the prompt says what is asked')
  H.contains(q and q.preview, "+    return f'hello {name}!'", 'the diff was on screen while asking')
  H.eq(q and q.preview_ft, 'diff', 'the preview is highlighted as a diff')
  H.check(q and q.preview_float, 'the preview is a floating window')
  H.eq(q and q.statusline, 'cadre: approval?', 'the statusline shows the waiting approval')
  H.eq(H.read(path), CHANGED, 'the file on disk has the change')
  H.eq(H.buf_text(buf), CHANGED, 'the buffer was reloaded with the change')
  H.check(not vim.bo[buf].modified, 'the reloaded buffer is not modified')
  H.check(vim.fn.bufnr(shadow_name) == -1, 'the shadow buffer of the applied task is gone')
  H.check(not vim.wo[real_win].diff, "the real file's window left diff mode")
  local st = H.request('cadre/shadow.status')
  H.eq(st and st.tasks, {}, 'no task has changes after the apply')

  -- A denial leaves the file; the task stays.
  H.request('cadre/tools.call', { name = 'write_file', task = 't2', arguments = { path = 'src/app.py', content = 'gone\n' } })
  answers['cadre.approval'] = 'deny'
  require('cadre.config').values.approvals.preview = 'split'
  local wins_before = #vim.api.nvim_tabpage_list_wins(0)
  H.notes = {}
  vim.cmd('CadreApply') -- the only task with changes: t2
  H.wait(function() return H.note('declined') ~= nil end, ':CadreApply reported the denial')
  H.check(not asked[#asked].preview_float, 'approvals.preview = split shows the diff in a split')
  H.contains(asked[#asked].preview, '+gone', '... holding the diff')
  H.eq(#vim.api.nvim_tabpage_list_wins(0), wins_before, '... closed after the answer')
  require('cadre.config').values.approvals.preview = 'float'
  -- With deny_note, the note goes back through the server.
  require('cadre.config').values.approvals.deny_note = true
  vim.ui.input = function(_, on_confirm) on_confirm('keep the old greeting') end
  H.notes = {}
  vim.cmd('CadreApply t2')
  H.wait(function() return H.note('keep the old greeting') ~= nil end, 'a denial note reaches the server and comes back')
  require('cadre.config').values.approvals.deny_note = false
  H.eq(H.note('declined') and H.note('declined').level, vim.log.levels.WARN, 'a denial is a warning, not an error')
  H.eq(H.read(path), CHANGED, 'a denied apply leaves the file on disk')
  H.eq(H.buf_text(buf), CHANGED, 'a denied apply leaves the buffer')

  -- An asynchronous picker (answers after the handler would have returned).
  answer_later = true
  answers['cadre.approval'] = 'allowOnce'
  H.request('cadre/tools.call', { name = 'write_file', task = 't3', arguments = { path = 'src/other.py', content = 'X = 2\n' } })
  H.notes = {}
  vim.cmd('CadreApply t3')
  H.wait(function() return H.note('applied task t3') ~= nil end, 'an asynchronous vim.ui.select answer is honoured')
  H.eq(H.read(dir .. '/src/other.py'), 'X = 2\n', '... and the file is written')
  answer_later = false

  -- :CadreDiscard asks, then drops the task.
  answers['cadre.confirm'] = 'Discard'
  H.notes = {}
  vim.cmd('CadreDiscard t2')
  H.wait(function() return H.note('discarded task t2') ~= nil end, ':CadreDiscard discarded t2')
  H.eq(asked[#asked].kind, 'cadre.confirm', ':CadreDiscard asked first')
  st = H.request('cadre/shadow.status')
  H.eq(st and st.tasks, {}, 'nothing left in any shadow')
  H.notes = {}
  vim.cmd('CadreDiff')
  H.wait(function() return H.note('no task has changes') ~= nil end, ':CadreDiff with no changes says so')

  -- :CadreCancel: a long command, allowed, then cancelled.
  H.notes = {}
  vim.cmd('CadreCancel')
  H.check(H.note('no cadre request is waiting') ~= nil, ':CadreCancel with nothing waiting says so')
  local client = require('cadre.client')
  local got
  local calls_before = H.request('cadre/status').methods['cadre/tools.call'].calls
  local t0 = vim.loop.now()
  client.request(c, 'cadre/tools.call', { name = 'run_command', arguments = { command = 'sleep 20' } },
    function(e, r) got = { e, r } end, { quiet = true })
  H.wait(function() return #asked > 0 and asked[#asked].opts.prompt:find('run a command') ~= nil end,
    'run_command asked for approval')
  H.contains(asked[#asked].preview, 'sleep 20', 'the command was on screen while asking')
  H.contains(asked[#asked].preview, 'asked by: editor-agent (executor)', '... with who asks')
  H.eq(asked[#asked].preview_ft, 'sh', '... highlighted as shell')
  H.check(vim.tbl_contains(asked[#asked].items, 'allowAlways'), 'a scoped command may be allowed always')
  H.contains(table.concat(asked[#asked].labels, '|'), 'Allow always (sleep', '... and the label says what is remembered')
  vim.wait(300)
  H.contains(require('cadre').statusline(), 'tools.call', 'the statusline shows the request waiting')
  H.notes = {}
  vim.cmd('CadreCancel')
  H.check(H.note('cancelled cadre/tools.call') ~= nil, ':CadreCancel cancelled the request')
  H.eq(got and got[1] and got[1].code, -32800, 'the caller got RequestCancelled')
  H.eq(#client.pending, 0, 'nothing is pending after the cancel')
  -- The server stopped the command: it answers long before the 20 s.
  local answered = false
  while not answered and vim.loop.now() - t0 < 15000 do
    local s = H.request('cadre/status')
    answered = s and s.methods['cadre/tools.call'].calls > calls_before
    if not answered then vim.wait(100) end
  end
  H.check(answered, 'the server ended the cancelled command early (' .. (vim.loop.now() - t0) .. ' ms)')
end)
