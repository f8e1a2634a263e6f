-- :CadreCheckpoints over cadre/checkpoint.*: the project's checkpoints
-- (every workspace root's) in a scratch buffer, newest first; <CR> or d
-- shows one's diff against the files as they are now in a split, r restores
-- it (asked here first, then approved with its diff through the server's
-- approval), c takes a new one. Subcommands do the same from the command
-- line: :CadreCheckpoints create [message] | diff [id] | restore {id}
-- (:CadreCheckpoints! restore: without the question here).
local client = require('cadre.client')
local scratch = require('cadre.scratch')

local M = {}

M.bufname = 'cadre://checkpoints'

local levels = vim.log.levels

local function root_name(uri)
  return uri and vim.fn.fnamemodify(vim.uri_to_fname(uri), ':t') or ''
end

-- One line per checkpoint: "#12  2026-11-22 02:40:07  message  (3 changed)  [root]".
function M.line(cp, several_roots)
  local when = os.date('%Y-%m-%d %H:%M:%S', math.floor((cp.timeMs or 0) / 1000))
  local meta = type(cp.metadata) == 'table' and cp.metadata or {}
  local task = meta.task and ('  task ' .. meta.task) or ''
  local l = ('#%-4d %s  %s  (%d changed, %d file%s)%s'):format(cp.seq or 0, when, cp.message or '', cp.filesChanged or 0,
    cp.files or 0, cp.files == 1 and '' or 's', task)
  if several_roots then l = l .. '  [' .. root_name(cp.root) .. ']' end
  return l
end

-- Reload the buffers of restored files that have no unsaved changes.
local function reload(root_uri, paths)
  local root = vim.uri_to_fname(root_uri)
  for _, p in ipairs(paths or {}) do
    local b = vim.fn.bufnr(root .. '/' .. p)
    if b ~= -1 and vim.api.nvim_buf_is_loaded(b) and not vim.bo[b].modified then
      vim.api.nvim_buf_call(b, function() vim.cmd('silent edit!') end)
    end
  end
end

-- The diff of checkpoint `cp` (a list entry: id, seq, root) against the work tree.
function M.show_diff(c, cp)
  client.request(c, 'cadre/checkpoint.diff', { id = cp.id, root = cp.root }, function(err, result)
    if err then return end
    local lines = scratch.lines(result.diff)
    if #lines == 1 and lines[1] == '' then
      lines = { ('(no difference: the files are as checkpoint #%s has them)'):format(cp.seq or cp.id) }
    end
    local buf = scratch.buffer(('cadre://checkpoint/%s/%s'):format(root_name(cp.root), cp.seq or cp.id), lines, 'diff')
    vim.b[buf].cadre_checkpoint = cp.id
    scratch.show(buf, 'rightbelow vertical new')
    vim.api.nvim_win_set_cursor(0, { 1, 0 })
  end)
end

-- Restore `cp` after asking here (unless force); the server then asks with the diff.
function M.restore(c, cp, force)
  local function go()
    client.request(c, 'cadre/checkpoint.restore', { id = cp.id, root = cp.root }, function(err, result)
      if err then
        if err.code == client.codes.Unauthorized then
          return client.notify('checkpoint not restored: ' .. tostring(err.message), levels.WARN)
        end
        if err.code ~= client.codes.RequestCancelled then
          client.notify(client.describe('cadre/checkpoint.restore', err), levels.ERROR)
        end
        return
      end
      reload(result.root, result.changed)
      local n = #(result.changed or {})
      local undo = type(result.undo) == 'table' and (' (undo: restore #' .. tostring(result.undo.seq) .. ')') or ''
      client.notify(('restored checkpoint #%s: %d file%s changed%s'):format(result.checkpoint.seq, n, n == 1 and '' or 's', undo))
      if vim.fn.bufnr(M.bufname) ~= -1 then M.list(c, true) end
    end, { quiet = true })
  end
  if force then return go() end
  vim.ui.select({ 'Restore', 'Keep' }, {
    prompt = ('cadre: restore the files to checkpoint #%s (%s)?'):format(cp.seq or cp.id, cp.message or ''),
    kind = 'cadre.confirm',
  }, function(choice) if choice == 'Restore' then go() end end)
end

function M.create(c, message)
  client.request(c, 'cadre/checkpoint.create', { message = (message and message ~= '') and message or nil },
    function(err, result)
      if err then return end
      local made = {}
      for _, r in ipairs(result.roots or { result }) do
        table.insert(made, ('#%d%s%s'):format(r.checkpoint.seq, r.created and '' or ' (nothing changed)',
          #(result.roots or {}) > 1 and (' in ' .. root_name(r.root)) or ''))
      end
      client.notify('checkpoint ' .. table.concat(made, ', '))
      if vim.fn.bufnr(M.bufname) ~= -1 then M.list(c, true) end
    end)
end

-- The list buffer. `refresh`: update it where it is, without moving to it.
function M.list(c, refresh)
  client.request(c, 'cadre/checkpoint.list', nil, function(err, result)
    if err then return end
    local cps = result.checkpoints or {}
    local roots = {}
    for _, cp in ipairs(cps) do roots[cp.root or ''] = true end
    local several = vim.tbl_count(roots) > 1
    local lines = { 'cadre checkpoints — <CR>/d diff against now, r restore, c new checkpoint, q close' }
    for _, cp in ipairs(cps) do table.insert(lines, M.line(cp, several)) end
    if #cps == 0 then table.insert(lines, '(no checkpoints yet: c takes one; every apply takes one first)') end
    local buf = scratch.buffer(M.bufname, lines, 'cadrecheckpoints')
    local function at_cursor()
      local win = vim.fn.bufwinid(buf)
      local row = win ~= -1 and vim.api.nvim_win_get_cursor(win)[1] or 0
      return cps[row - 1]
    end
    local function map(lhs, fn, desc)
      vim.keymap.set('n', lhs, function()
        local cp = at_cursor()
        if cp then fn(cp) end
      end, { buffer = buf, desc = 'cadre: ' .. desc })
    end
    map('<CR>', function(cp) M.show_diff(c, cp) end, 'diff this checkpoint against the files now')
    map('d', function(cp) M.show_diff(c, cp) end, 'diff this checkpoint against the files now')
    map('r', function(cp) M.restore(c, cp, false) end, 'restore this checkpoint')
    vim.keymap.set('n', 'c', function()
      vim.ui.input({ prompt = 'cadre: checkpoint message: ' }, function(msg)
        if msg then M.create(c, msg) end
      end)
    end, { buffer = buf, desc = 'cadre: take a checkpoint now' })
    vim.keymap.set('n', 'q', '<cmd>close<CR>', { buffer = buf, desc = 'cadre: close' })
    M.last = cps
    if refresh and vim.fn.bufwinid(buf) == -1 then return end
    if not refresh then
      scratch.show(buf, 'botright new')
      vim.api.nvim_win_set_cursor(0, { math.min(2, #lines), 0 })
    end
  end)
end

-- A checkpoint named on the command line (id prefix, #seq or seq, latest), in
-- the newest list: cb(cp).
local function find(c, spec, cb)
  client.request(c, 'cadre/checkpoint.list', nil, function(err, result)
    if err then return end
    local cps = result.checkpoints or {}
    if spec == '' or spec == 'latest' then
      if cps[1] then return cb(cps[1]) end
      return client.notify('there are no checkpoints yet', levels.WARN)
    end
    local seq = tonumber((spec:gsub('^#', '')))
    for _, cp in ipairs(cps) do
      if (seq and cp.seq == seq and #spec < 8) or (#spec >= 4 and cp.id:sub(1, #spec) == spec) then return cb(cp) end
    end
    client.notify(('no checkpoint %s (see :CadreCheckpoints)'):format(spec), levels.ERROR)
  end)
end

local subcommands = { 'create', 'diff', 'restore', 'list' }

function M.complete(lead, line)
  if line:match('^%S+%s+%S*$') then
    return vim.tbl_filter(function(s) return s:sub(1, #lead) == lead end, subcommands)
  end
  return {}
end

-- :CadreCheckpoints[!] [list | create [message] | diff [id] | restore {id}]
function M.command(args)
  local c = client.require_client()
  if not c then return end
  local sub, rest = (args.args or ''):match('^(%S*)%s*(.-)%s*$')
  if sub == '' or sub == 'list' then return M.list(c) end
  if sub == 'create' then return M.create(c, rest) end
  if sub == 'diff' then return find(c, rest, function(cp) M.show_diff(c, cp) end) end
  if sub == 'restore' then
    if rest == '' then return client.notify(':CadreCheckpoints restore needs a checkpoint (#N, an id or latest)', levels.ERROR) end
    return find(c, rest, function(cp) M.restore(c, cp, args.bang) end)
  end
  client.notify(('unknown :CadreCheckpoints subcommand %q (list, create, diff, restore)'):format(sub), levels.ERROR)
end

return M
