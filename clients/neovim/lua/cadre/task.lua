-- :CadreAsk, :CadrePlan and :CadreExplain: a task on cadre's agent loop
-- (cadre/task.start) whose cadre/task.event notifications stream into the
-- scratch buffer cadre://task/<name> — status, plan, model tokens per role,
-- tool calls and failed results, diagnostics, the review — and, when the
-- task ends ready, its diff and the commands that land or drop it. The loop
-- itself (planner, executor, linters, reviewer) runs in the server.
local client = require('cadre.client')
local config = require('cadre.config')
local scratch = require('cadre.scratch')

local M = {}

local levels = vim.log.levels
local uv = vim.uv or vim.loop
local api = vim.api

M.ns = api.nvim_create_namespace('cadre-task')      -- highlights
M.marks = api.nvim_create_namespace('cadre-task-marks') -- rows that are rewritten later

-- "client_id:task" → the task's state; in the order started.
M.tasks = {}
M.order = {}
-- Events that came before task.start's reply named the task (or for tasks
-- this plugin did not start), by key; bounded.
local early = {}
local EARLY_MAX = 2000

local FINAL = { ready = true, planned = true, answered = true, ['no-change'] = true, cancelled = true, failed = true }
-- How long an ended task (other than ready) stays in the statusline.
M.LINGER_MS = 5000

local kinds = { ask = 'ask', plan = 'plan', explain = 'explain' }
local on_planned

local function key(client_id, task) return tostring(client_id) .. ':' .. task end

local function hl_defaults()
  for group, link in pairs({
    CadreTaskTitle = 'Title', CadreTaskStatus = 'Statement', CadreTaskRole = 'Identifier',
    CadreTaskTool = 'Function', CadreTaskDim = 'Comment', CadreTaskError = 'ErrorMsg',
    CadreTaskWarn = 'WarningMsg', CadreTaskOk = 'String', CadreTaskAdd = 'DiffAdd',
    CadreTaskDelete = 'DiffDelete', CadreTaskHunk = 'DiffChange', CadreTaskHint = 'Special',
  }) do
    vim.cmd(('highlight default link %s %s'):format(group, link))
  end
end

---------------------------------------------------------------------------
-- The buffer: appending, rewriting a marked row, following the end.

-- Highlight a whole line (an extmark: nvim_buf_add_highlight is deprecated
-- in current releases; this works from 0.7 on).
local function hl_line(buf, group, row)
  local line = api.nvim_buf_get_lines(buf, row, row + 1, false)[1] or ''
  api.nvim_buf_set_extmark(buf, M.ns, row, 0, { end_row = row, end_col = #line, hl_group = group })
end

local function edit(buf, fn)
  if not api.nvim_buf_is_valid(buf) then return end
  -- Windows whose cursor is on the last line follow the stream (tail -f).
  local last = api.nvim_buf_line_count(buf)
  local follow = {}
  for _, w in ipairs(vim.fn.win_findbuf(buf)) do
    if api.nvim_win_get_cursor(w)[1] >= last then table.insert(follow, w) end
  end
  vim.bo[buf].modifiable = true
  fn()
  vim.bo[buf].modifiable = false
  vim.bo[buf].modified = false
  local n = api.nvim_buf_line_count(buf)
  for _, w in ipairs(follow) do
    if api.nvim_win_is_valid(w) then api.nvim_win_set_cursor(w, { n, 0 }) end
  end
end

-- Append lines (a string or a list), each highlighted with `hl` (or
-- hl(line) → group). Returns the 0-based row of the first.
local function append(st, lines, hl)
  if type(lines) == 'string' then lines = { lines } end
  -- A buffer line holds no newline: text from the server may.
  local flat = {}
  for _, l in ipairs(lines) do vim.list_extend(flat, vim.split(tostring(l), '\n', { plain = true })) end
  lines = flat
  st.tok = nil
  local row
  edit(st.buf, function()
    row = api.nvim_buf_line_count(st.buf)
    api.nvim_buf_set_lines(st.buf, row, row, false, lines)
    for i, l in ipairs(lines) do
      local group = hl
      if type(hl) == 'function' then group = hl(l) end
      if group then hl_line(st.buf, group, row + i - 1) end
    end
  end)
  return row
end

-- Replace the row that mark `id` sits on.
local function rewrite(st, id, text, hl)
  text = text:gsub('\n', ' ⏎ ')
  local pos = api.nvim_buf_get_extmark_by_id(st.buf, M.marks, id, {})
  if not pos or not pos[1] then return end
  edit(st.buf, function()
    api.nvim_buf_set_lines(st.buf, pos[1], pos[1] + 1, false, { text })
    api.nvim_buf_clear_namespace(st.buf, M.ns, pos[1], pos[1] + 1)
    if hl then hl_line(st.buf, hl, pos[1]) end
  end)
  api.nvim_buf_set_extmark(st.buf, M.marks, pos[1], 0, { id = id })
end

local function mark(st, row) return api.nvim_buf_set_extmark(st.buf, M.marks, row, 0, {}) end

-- Streamed model text: a "role:" line when the speaker changes, then the
-- text, continued on the last line as it arrives.
local function stream(st, role, text)
  if text == '' then return end
  if st.tok ~= role then
    append(st, { role .. ':', '  ' }, function(l) return l ~= '  ' and 'CadreTaskRole' or nil end)
    st.tok = role
  end
  local parts = vim.split(text, '\n', { plain = true })
  edit(st.buf, function()
    local n = api.nvim_buf_line_count(st.buf)
    local lastline = api.nvim_buf_get_lines(st.buf, n - 1, n, false)[1] or ''
    parts[1] = lastline .. parts[1]
    for i = 2, #parts do parts[i] = '  ' .. parts[i] end
    api.nvim_buf_set_lines(st.buf, n - 1, n, false, parts)
  end)
end

local function diff_hl(l)
  if l:match('^%+%+%+ ') or l:match('^%-%-%- ') then return 'CadreTaskDim' end
  if l:match('^%+') then return 'CadreTaskAdd' end
  if l:match('^%-') then return 'CadreTaskDelete' end
  if l:match('^@@') then return 'CadreTaskHunk' end
end

-- Files, added and deleted lines of a unified diff.
function M.diffstat(diff)
  local files, add, del = 0, 0, 0
  for _, l in ipairs(scratch.lines(diff)) do
    if l:match('^%+%+%+ ') then files = files + 1
    elseif l:match('^%-%-%- ') then -- the other file header
    elseif l:match('^%+') then add = add + 1
    elseif l:match('^%-') then del = del + 1 end
  end
  return files, add, del
end

local function plural(n, what) return ('%d %s%s'):format(n, what, n == 1 and '' or 's') end

---------------------------------------------------------------------------
-- Rendering the events.

local function plan_lines(plan)
  local l = { 'plan:' }
  for i, step in ipairs(type(plan.steps) == 'table' and plan.steps or {}) do
    local title = type(step) == 'table' and (step.title or '') or tostring(step)
    local t = scratch.lines(tostring(title))
    local files = type(step) == 'table' and type(step.files) == 'table' and #step.files > 0
      and ('  [' .. table.concat(step.files, ', ') .. ']') or ''
    table.insert(l, ('  %d. %s%s'):format(i, t[1] or '', #t == 1 and files or ''))
    for j = 2, #t do table.insert(l, '     ' .. t[j] .. (j == #t and files or '')) end
  end
  local criteria = type(plan.criteria) == 'table' and plan.criteria or {}
  if #criteria > 0 then
    table.insert(l, 'criteria:')
    for _, c in ipairs(criteria) do
      for j, t in ipairs(scratch.lines(tostring(c))) do table.insert(l, (j == 1 and '  - ' or '    ') .. t) end
    end
  end
  return l
end

local function plan_hl(l)
  if l == 'plan:' or l == 'criteria:' then return 'CadreTaskTitle' end
end

-- What a tool call is about, in one short line.
local function call_summary(name, arguments)
  local args = type(arguments) == 'string' and vim.fn.json_decode(arguments ~= '' and arguments or '{}') or arguments
  local ok = type(args) == 'table'
  local s
  if ok and name == 'run_command' and args.command then
    s = args.command
  elseif ok and name == 'edit_file' and type(args.edits) == 'string' then
    local n = select(2, args.edits:gsub('<<<<<<< SEARCH', ''))
    if n > 0 then
      s = ('%s (%s)'):format(args.edits:match('^([^\n]*)'), plural(n, 'block'))
    else
      s = (args.edits:match('\n%+%+%+ b/([^\n]*)') or '') .. ' (unified diff)'
    end
  elseif ok and args.query then
    s = vim.fn.json_encode(args.query) .. (args.path and (' in ' .. args.path) or '')
  elseif ok and args.from then
    s = tostring(args.from) .. ' → ' .. tostring(args.to)
  elseif ok and args.path then
    s = args.path
  else
    s = type(arguments) == 'string' and arguments or vim.fn.json_encode(arguments)
  end
  s = tostring(s):gsub('\n', ' ⏎ ')
  if #s > 120 then s = s:sub(1, 117) .. '...' end
  return s
end

local function decode_call_summary(name, arguments)
  local ok, s = pcall(call_summary, name, arguments)
  return ok and s or tostring(arguments)
end

local function header_status(st)
  local s = 'status: ' .. st.status .. ((st.message and st.message ~= '') and (' — ' .. st.message) or '')
  rewrite(st, st.status_mark, s, FINAL[st.status] and (st.status == 'failed' and 'CadreTaskError' or 'CadreTaskTitle')
    or 'CadreTaskStatus')
  vim.cmd('redrawstatus')
end

local function hints(st, with_diff)
  local t = st.name
  local l = {}
  local w = #(':CadreDiscard ' .. t) + 2
  local function add(cmd, what) table.insert(l, (cmd .. ' ' .. t) .. string.rep(' ', w - #cmd - 1 - #t) .. what) end
  if with_diff then
    add(':CadreDiff', ('your file beside the change (:CadreDiff! %s: the diff alone)'):format(t))
    add(':CadreApply', 'apply it to your files (cadre asks first)')
  end
  add(':CadreDiscard', 'drop the change')
  return l
end

local function on_ready(st)
  local c = vim.lsp.get_client_by_id(st.client_id)
  local function show(diff)
    local files, add, del = M.diffstat(diff)
    st.diff = diff
    append(st, '── diff: ' .. plural(files, 'file') .. (', +%d −%d ──'):format(add, del), 'CadreTaskTitle')
    append(st, scratch.lines(diff), diff_hl)
    if st.kind == 'explain' then
      append(st, 'The model changed files although it was only asked to explain. Nothing reached your files.',
        'CadreTaskWarn')
      client.notify(('task %s: the model edited %s although it was only asked to explain — :CadreDiff %s to see, '
        .. ':CadreDiscard %s to drop'):format(st.name, plural(files, 'file'), st.name, st.name), levels.WARN)
    else
      client.notify(('task %s ready: %s changed (+%d −%d) — :CadreDiff %s, :CadreApply %s, :CadreDiscard %s'):format(
        st.name, plural(files, 'file'), add, del, st.name, st.name, st.name))
    end
    append(st, '── next ──', 'CadreTaskTitle')
    append(st, hints(st, true), 'CadreTaskHint')
  end
  if not c then return show(st.last_diff or '') end
  client.request(c, 'cadre/shadow.diff', { task = st.name }, function(err, result)
    show((not err and result and result.diff) or st.last_diff or '')
  end, { quiet = true, bufnr = st.buf })
end

-- :CadrePlan stops after the plan (mode "plan"): nothing was edited. x in
-- the task buffer carries the plan out as a new task, with the plan in its
-- prompt, so the user reads (and may edit the prompt) before any change.
function on_planned(st)
  append(st, '── planned: no file was changed ──', 'CadreTaskTitle')
  append(st, 'x in this buffer (or :CadreAsk with the prompt) carries the plan out in a shadow', 'CadreTaskHint')
  vim.keymap.set('n', 'x', function() M.execute_plan(st) end,
    { buffer = st.buf, desc = 'cadre: carry out this plan' })
  client.notify(('task %s planned: %s — x in its buffer carries it out'):format(st.name,
    plural(#((st.plan or {}).steps or {}), 'step')))
end

function M.execute_plan(st)
  local plan = vim.fn.json_encode(st.plan or {})
  M.start({ prompt = st.prompt .. '\n\nCarry out this plan (already agreed with the user):\n' .. plan,
    title = st.prompt, kind = kinds.ask })
end

local function on_end(st)
  st.ended_at = uv.now()
  vim.defer_fn(function() vim.cmd('redrawstatus') end, M.LINGER_MS + 50)
  if st.status == 'ready' then return on_ready(st) end
  if st.status == 'planned' then return on_planned(st) end
  if st.status == 'answered' then
    append(st, '── answered: no file was changed ──', 'CadreTaskTitle')
    return client.notify(('task %s answered (see its buffer)'):format(st.name))
  end
  if st.status == 'no-change' then
    if st.kind == 'explain' then
      append(st, '── done: no file was changed ──', 'CadreTaskTitle')
    else
      append(st, '── done: the task changed no file ──', 'CadreTaskTitle')
    end
    return client.notify(('task %s: done, no file changed'):format(st.name))
  end
  if st.status == 'failed' then
    append(st, '── failed' .. (st.message and (': ' .. st.message) or '') .. ' ──', 'CadreTaskError')
    return client.notify(('task %s failed: %s'):format(st.name, st.message or '?'), levels.ERROR)
  end
  -- Cancelled: anything the task had changed so far is still in its shadow.
  append(st, '── cancelled: your files are untouched ──', 'CadreTaskTitle')
  client.notify(('task %s cancelled'):format(st.name), levels.WARN)
  local c = vim.lsp.get_client_by_id(st.client_id)
  if not c then return end
  client.request(c, 'cadre/shadow.status', nil, function(err, result)
    for _, t in ipairs((not err and result and result.tasks) or {}) do
      if t.task == st.name and #(t.files or {}) > 0 then
        append(st, ('Its shadow holds changes to %s made before it stopped:'):format(plural(#t.files, 'file')),
          'CadreTaskDim')
        append(st, hints(st, true), 'CadreTaskHint')
      end
    end
  end, { quiet = true, bufnr = st.buf })
end

local handlers = {}

function handlers.status(st, d)
  st.status = d.status or '?'
  st.message = d.message
  header_status(st)
  local final = FINAL[st.status]
  if not final then
    append(st, '── ' .. st.status .. (d.message and (': ' .. d.message) or '') .. ' ──', 'CadreTaskStatus')
  else
    on_end(st)
  end
end

function handlers.plan(st, d)
  st.plan = d
  local lines = plan_lines(d)
  if st.kind == 'plan' then
    -- :CadrePlan: the plan goes to the top, under the status, and the
    -- windows showing the task jump to it.
    local pos = api.nvim_buf_get_extmark_by_id(st.buf, M.marks, st.status_mark, {})
    local row = pos[1] + 1
    edit(st.buf, function()
      api.nvim_buf_set_lines(st.buf, row, row, false, lines)
      for i, l in ipairs(lines) do
        local g = plan_hl(l)
        if g then hl_line(st.buf, g, row + i - 1) end
      end
    end)
    for _, w in ipairs(vim.fn.win_findbuf(st.buf)) do api.nvim_win_set_cursor(w, { row + 1, 0 }) end
    st.tok = nil
    local nc = #(type(d.criteria) == 'table' and d.criteria or {})
    append(st, ('(the plan is at the top: %s, %d criteri%s)'):format(
      plural(#(type(d.steps) == 'table' and d.steps or {}), 'step'), nc, nc == 1 and 'on' or 'a'), 'CadreTaskDim')
  else
    append(st, lines, plan_hl)
  end
end

function handlers.token(st, d)
  -- Without task.tokens, an explanation still shows the executor's: they
  -- are the answer.
  if not config.values.task.tokens and not (st.kind == 'explain' and d.role == 'executor') then return end
  stream(st, d.role or '?', d.text or '')
end

function handlers.toolCall(st, d)
  local row = append(st, ('→ %s %s%s'):format(d.name or '?', decode_call_summary(d.name, d.arguments),
    (d.role and d.role ~= 'executor') and ('  (' .. d.role .. ')') or ''), 'CadreTaskTool')
  st.calls[d.id or ''] = { mark = mark(st, row), text = api.nvim_buf_get_lines(st.buf, row, row + 1, false)[1] }
end

function handlers.toolResult(st, d)
  local call = st.calls[d.id or '']
  st.calls[d.id or ''] = nil
  if d.ok then
    if call then rewrite(st, call.mark, call.text .. '  ✓', 'CadreTaskTool') end
    st.tok = nil
    return
  end
  if call then rewrite(st, call.mark, call.text .. '  ✗ failed', 'CadreTaskError') end
  local text = scratch.lines(d.text or '')
  local shown = {}
  for i = 1, math.min(#text, 12) do table.insert(shown, '    ' .. text[i]) end
  if #text > 12 then table.insert(shown, ('    … %d more lines'):format(#text - 12)) end
  append(st, shown, 'CadreTaskDim')
end

function handlers.diagnostics(st, d)
  local introduced = type(d.introduced) == 'table' and d.introduced or {}
  local ran = type(d.ran) == 'table' and #d.ran > 0 and table.concat(d.ran, ', ') or 'no linter'
  if #introduced == 0 then
    append(st, ('checks (%s): no new problems'):format(ran), 'CadreTaskOk')
  else
    append(st, ('checks (%s): the change introduced %s:'):format(ran, plural(#introduced, 'problem')), 'CadreTaskWarn')
    local l = {}
    for _, p in ipairs(introduced) do
      table.insert(l, ('  %s:%s:%s: %s: %s (%s)'):format(p.path, p.line, p.column or 1, p.severity or '?',
        p.message or '', p.source or '?'))
    end
    append(st, l)
  end
  for _, p in ipairs(type(d.problems) == 'table' and d.problems or {}) do
    append(st, '  note: ' .. tostring(p), 'CadreTaskDim')
  end
end

function handlers.review(st, d)
  st.review = d
  local findings = type(d.findings) == 'table' and d.findings or {}
  append(st, ('review by %s: %s'):format(d.model or '?', d.approved and 'approved' or 'changes requested'),
    d.approved and 'CadreTaskOk' or 'CadreTaskWarn')
  local l = {}
  for _, f in ipairs(findings) do
    for j, t in ipairs(scratch.lines(type(f) == 'string' and f or vim.fn.json_encode(f))) do
      table.insert(l, (j == 1 and '  - ' or '    ') .. t)
    end
  end
  if #l > 0 then append(st, l) end
end

function handlers.diff(st, d)
  st.last_diff = d.diff or ''
  local files, add, del = M.diffstat(st.last_diff)
  append(st, ('diff so far: %s, +%d −%d (the whole diff comes at the end)'):format(plural(files, 'file'), add, del),
    'CadreTaskDim')
end

-- A question's answer (a code action's Explain, answered without edits).
function handlers.answer(st, d)
  append(st, '── answer' .. ((d.model and d.model ~= '') and (' (' .. d.model .. ')') or '') .. ' ──', 'CadreTaskTitle')
  append(st, scratch.lines(d.text or ''))
  st.answer = d.text
end

function handlers.error(st, d)
  append(st, 'error: ' .. tostring(d.message or '?'), 'CadreTaskError')
end

local function dispatch(st, ev)
  if ev.seq and st.seq and ev.seq ~= st.seq + 1 and ev.seq > st.seq then
    append(st, ('(%s lost)'):format(plural(ev.seq - st.seq - 1, 'event')), 'CadreTaskWarn')
  end
  st.seq = ev.seq or st.seq
  local h = handlers[ev.kind]
  local data = type(ev.data) == 'table' and ev.data or {}
  if h then
    local ok, e = pcall(h, st, data)
    if not ok then append(st, ('(could not show a %s event: %s)'):format(ev.kind, e), 'CadreTaskError') end
  end
end

-- The cadre/task.event notification handler.
function M.on_event(_, params, ctx)
  if type(params) ~= 'table' or type(params.task) ~= 'string' then return end
  local k = key(ctx and ctx.client_id or 0, params.task)
  local st = M.tasks[k]
  if st and api.nvim_buf_is_valid(st.buf) then return dispatch(st, params) end
  if st then
    -- Its buffer was wiped: nothing to show the task in; the statusline
    -- still follows it.
    if params.kind == 'status' and type(params.data) == 'table' then
      st.status, st.message = params.data.status or st.status, params.data.message
      if FINAL[st.status] then st.ended_at = uv.now() end
      vim.cmd('redrawstatus')
    end
    return
  end
  local q = early[k] or {}
  early[k] = q
  table.insert(q, params)
  if #q > EARLY_MAX then table.remove(q, 1) end
end

---------------------------------------------------------------------------
-- Windows.

local function is_task_buf(b) return api.nvim_buf_get_name(b):match('^cadre://task/') ~= nil end

local function open_float(buf)
  local width = math.max(40, math.floor(vim.o.columns * 0.8))
  local height = math.max(8, math.floor((vim.o.lines - 2) * 0.8))
  local win = api.nvim_open_win(buf, true, {
    relative = 'editor', row = math.floor((vim.o.lines - 2 - height) / 2),
    col = math.floor((vim.o.columns - width) / 2), width = width, height = height, border = 'rounded',
  })
  vim.wo[win].wrap = true
  return win
end

-- Show the task's buffer: in the window already showing a task, else as
-- task.view says. A split keeps the cursor where it was; a float takes it.
-- :CadrePlan's window stays at the top (the plan lands there); the others
-- follow the stream from its last line.
function M.show(st)
  local win
  for _, w in ipairs(api.nvim_tabpage_list_wins(0)) do
    if is_task_buf(api.nvim_win_get_buf(w)) then
      api.nvim_win_set_buf(w, st.buf)
      win = w
      break
    end
  end
  if not win then
    local view = config.values.task.view
    if view == 'float' then
      win = open_float(st.buf)
    else
      local from = api.nvim_get_current_win()
      win = scratch.show(st.buf, view == 'vsplit' and 'vertical botright new' or 'botright new')
      vim.wo[win].wrap = true
      if api.nvim_win_is_valid(from) then api.nvim_set_current_win(from) end
    end
  end
  api.nvim_win_set_cursor(win, { st.kind == 'plan' and 1 or api.nvim_buf_line_count(st.buf), 0 })
  return win
end

---------------------------------------------------------------------------
-- Starting and cancelling.

local function new_state(c, name, opts)
  local st = {
    key = key(c.id, name), name = name, client_id = c.id, kind = opts.kind, prompt = opts.prompt,
    status = 'starting', seq = 0, calls = {}, started_at = uv.now(),
  }
  local head = { ('cadre task %s — %s'):format(name, opts.kind) }
  for i, l in ipairs(scratch.lines(opts.title or opts.prompt)) do
    if i > 6 then table.insert(head, '  …'); break end
    table.insert(head, (i == 1 and 'prompt: ' or '        ') .. l)
  end
  table.insert(head, 'status: starting')
  table.insert(head, '')
  local buf = scratch.buffer('cadre://task/' .. name, head, 'cadretask')
  st.buf = buf
  vim.b[buf].cadre_task = name
  vim.bo[buf].bufhidden = 'hide'
  api.nvim_buf_clear_namespace(buf, M.ns, 0, -1)
  api.nvim_buf_clear_namespace(buf, M.marks, 0, -1)
  hl_line(buf, 'CadreTaskTitle', 0)
  st.status_mark = mark(st, #head - 2)
  hl_line(buf, 'CadreTaskStatus', #head - 2)
  vim.keymap.set('n', 'q', function()
    if #api.nvim_list_wins() > 1 then api.nvim_win_close(0, false) end
  end, { buffer = buf, desc = 'cadre: close the task window' })
  return st
end

-- Start a task: opts.prompt (sent), opts.kind ('ask', 'plan', 'explain'),
-- opts.title (shown instead of the prompt). cb(state) once it runs.
function M.start(opts, cb)
  local c = client.require_client()
  if not c then return end
  hl_defaults()
  local params = { prompt = opts.prompt }
  -- Plan-first: the server stops after the plan.
  if opts.kind == kinds.plan then params.mode = 'plan' end
  local mt = config.values.task.map_tokens
  if type(mt) == 'number' then params.mapTokens = mt end
  client.request(c, 'cadre/task.start', params, function(err, result)
    if err or type(result) ~= 'table' or type(result.task) ~= 'string' then
      if err and err.code == client.codes.RequestCancelled then return end
      return
    end
    local st = M.adopt(c, result.task, opts)
    if cb then cb(st) end
  end)
end

-- Show a task by name: one started here, or one the server started for
-- this client (a code action's command, answered {task}). Events that came
-- before are replayed.
function M.adopt(c, name, opts)
  local existing = M.tasks[key(c.id, name)]
  if existing and not existing.stale and api.nvim_buf_is_valid(existing.buf) then return existing end
  hl_defaults()
  -- A name used again (a restarted server counts from 1 again).
  for _, st in pairs(M.tasks) do
    if st.name == name and st.key ~= key(c.id, name) then st.stale = true end
  end
  local st = new_state(c, name, opts)
  M.tasks[st.key] = st
  table.insert(M.order, st.key)
  M.show(st)
  vim.cmd('redrawstatus')
  local q = early[st.key]
  early[st.key] = nil
  for _, ev in ipairs(q or {}) do dispatch(st, ev) end
  return st
end

local function running(st)
  return st and not FINAL[st.status] and not st.stale
end

-- The task :CadreCancel means: the named one, the current buffer's, or the
-- newest still running.
function M.target(name)
  if name and name ~= '' then
    for i = #M.order, 1, -1 do
      local st = M.tasks[M.order[i]]
      if st.name == name then return st end
    end
    return nil
  end
  local here = vim.b.cadre_task
  for i = #M.order, 1, -1 do
    local st = M.tasks[M.order[i]]
    if here and st.name == here and running(st) then return st end
  end
  for i = #M.order, 1, -1 do
    local st = M.tasks[M.order[i]]
    if running(st) then return st end
  end
end

-- cadre/task.cancel for the target task; returns its name, or nil and why.
function M.cancel(name)
  local st = M.target(name)
  if not st and name and name ~= '' then
    -- Not started from this Neovim: the server may still know it.
    local c = client.current()
    if not c then return nil, 'no cadre server here' end
    client.request(c, 'cadre/task.cancel', { task = name }, function(err, result)
      if not err and result and result.cancelled == false then
        client.notify(('task %s had already finished'):format(name), levels.WARN)
      end
    end)
    return name
  end
  if not st then return nil, 'no cadre task is running' end
  if not running(st) then return nil, ('task %s already ended (%s)'):format(st.name, st.status) end
  local c = vim.lsp.get_client_by_id(st.client_id)
  if not c then return nil, 'its server is gone' end
  st.status, st.message = 'cancelling', nil
  header_status(st)
  client.request(c, 'cadre/task.cancel', { task = st.name }, function(err, result)
    if err then return end
    if result and result.cancelled == false then
      client.notify(('task %s had already finished'):format(st.name), levels.WARN)
    end
  end, { bufnr = st.buf })
  return st.name
end

-- A line in the task's buffer (if it has one), e.g. a declined apply.
function M.note(client_id, name, text)
  local st = M.tasks[key(client_id, name)]
  if st and api.nvim_buf_is_valid(st.buf) then append(st, text, 'CadreTaskWarn') end
end

-- After :CadreApply or :CadreDiscard of a task: say so in its buffer.
function M.landed(client_id, name, what)
  local st = M.tasks[key(client_id, name)]
  if not st or not api.nvim_buf_is_valid(st.buf) then return end
  st.landed = what
  append(st, '── ' .. what .. ' ──', 'CadreTaskTitle')
  vim.cmd('redrawstatus')
end

function M.complete_running(lead)
  local out = {}
  for _, k in ipairs(M.order) do
    local st = M.tasks[k]
    if running(st) and st.name:sub(1, #lead) == lead then table.insert(out, st.name) end
  end
  return out
end

-- For the statusline: the running tasks of this client ("task-1 executing"),
-- else a ready task not yet applied or discarded, else one that just ended.
function M.statusline(client_id)
  local now = uv.now()
  local run, ready, recent = {}, nil, nil
  for i = #M.order, 1, -1 do
    local st = M.tasks[M.order[i]]
    if st.client_id == client_id and not st.stale then
      if running(st) then
        table.insert(run, st.name .. ' ' .. st.status)
      elseif st.status == 'ready' then
        if not st.landed then ready = ready or (st.name .. ' ready') end
      elseif st.ended_at and now - st.ended_at < M.LINGER_MS then
        recent = recent or (st.name .. ' ' .. st.status)
      end
    end
  end
  if #run > 0 then return run[1] .. (#run > 1 and (' +' .. (#run - 1)) or '') end
  return ready or recent or ''
end

---------------------------------------------------------------------------
-- The commands.

local function prompt_from(args, what, cb)
  local p = vim.trim(args.args or '')
  if p ~= '' then return cb(p) end
  vim.ui.input({ prompt = 'cadre: ' .. what .. ': ' }, function(input)
    if input and vim.trim(input) ~= '' then cb(vim.trim(input)) end
  end)
end

-- :CadreAsk {prompt}
function M.ask(args)
  prompt_from(args, 'ask', function(p) M.start({ prompt = p, kind = kinds.ask }) end)
end

-- :CadrePlan {prompt}: the same task; the plan is shown at the top.
function M.plan(args)
  prompt_from(args, 'plan', function(p) M.start({ prompt = p, kind = kinds.plan }) end)
end

-- The prompt for :CadreExplain over lines l1..l2 of buffer `buf`.
function M.explain_prompt(buf, l1, l2, question, root)
  local name = api.nvim_buf_get_name(buf)
  local full = name ~= '' and vim.fn.fnamemodify(name, ':p') or ''
  local rel = full
  if root and full:sub(1, #root + 1) == root .. '/' then rel = full:sub(#root + 2) end
  if rel == '' then rel = '[No Name]' end
  local ft = vim.bo[buf].filetype
  local code = api.nvim_buf_get_lines(buf, l1 - 1, l2, false)
  local where = l1 == l2 and ('line %d'):format(l1) or ('lines %d-%d'):format(l1, l2)
  local p = {
    ('Explain the selected code: %s, %s%s.'):format(rel, where, vim.bo[buf].modified and ' (unsaved in the editor; shown below as the user sees it)' or ''),
    'Do not change, create or delete any file and run no command: this is a question, not a change.',
    'Answer with the explanation only: what the code does, how, and anything surprising in it.',
  }
  if question and question ~= '' then table.insert(p, 'The user asks: ' .. question) end
  table.insert(p, '')
  table.insert(p, '```' .. ft)
  vim.list_extend(p, code)
  table.insert(p, '```')
  return table.concat(p, '\n'), ('%s:%s%s'):format(rel, l1 == l2 and tostring(l1) or (l1 .. '-' .. l2),
    (question and question ~= '') and (' — ' .. question) or '')
end

-- :[range]CadreExplain [question]
function M.explain(args)
  local c = client.require_client()
  if not c then return end
  local l1, l2 = args.line1, args.line2
  if not args.range or args.range == 0 then
    local row = api.nvim_win_get_cursor(0)[1]
    l1, l2 = row, row
  end
  local prompt, title = M.explain_prompt(0, l1, l2, vim.trim(args.args or ''), c.config.root_dir)
  M.start({ prompt = prompt, kind = kinds.explain, title = 'explain ' .. title })
end

return M
