-- A task's shadow workspace: :CadreDiff, :CadreApply, :CadreDiscard and
-- :CadreLint over cadre/shadow.*. Shadow file contents are read through
-- cadre's read_file tool with the task, so the editor never guesses them.
local client = require('cadre.client')
local config = require('cadre.config')
local scratch = require('cadre.scratch')

local M = {}

M.ns = vim.api.nvim_create_namespace('cadre-shadow')

local levels = vim.log.levels

local function uri_of_buf(buf)
  local name = vim.api.nvim_buf_get_name(buf)
  if name == '' or name:match('^%a[%w+.-]*://') then return nil end
  return vim.uri_from_fname(vim.fn.fnamemodify(name, ':p'))
end

-- The same file, also when one side reaches it through a symlink.
local function same_uri(a, b)
  return a and b and vim.fn.resolve(vim.uri_to_fname(a)) == vim.fn.resolve(vim.uri_to_fname(b))
end

-- Every shadow buffer of a task (all tasks when task is nil).
local function shadow_buffers(task)
  local out = {}
  local prefix = 'cadre://shadow/' .. (task and (task .. '/') or '')
  for _, b in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_get_name(b):sub(1, #prefix) == prefix then table.insert(out, b) end
  end
  return out
end

local function drop_shadow_buffers(task)
  for _, b in ipairs(shadow_buffers(task)) do
    for _, w in ipairs(vim.fn.win_findbuf(b)) do
      vim.api.nvim_win_call(w, function() vim.cmd('diffoff') end)
    end
    pcall(vim.api.nvim_buf_delete, b, { force = true })
  end
  -- A real file's window left alone in diff mode was the other half.
  local diffs = vim.tbl_filter(function(w) return vim.wo[w].diff end, vim.api.nvim_tabpage_list_wins(0))
  if #diffs == 1 then vim.api.nvim_win_call(diffs[1], function() vim.cmd('diffoff') end) end
end

-- Tasks with changes: cb({ {task, files}, … }).
function M.tasks(c, cb)
  client.request(c, 'cadre/shadow.status', nil, function(err, result)
    if err then return end
    cb(result.tasks or {})
  end)
end

-- The task named on the command line, else the task of the buffer (a task,
-- diff or shadow buffer), else the only task with changes, else the user's
-- pick among them.
function M.pick_task(c, arg, cb)
  if arg and arg ~= '' then return cb(arg) end
  if type(vim.b.cadre_task) == 'string' then return cb(vim.b.cadre_task) end
  M.tasks(c, function(tasks)
    if #tasks == 0 then
      return client.notify('no task has changes in its shadow workspace', levels.WARN)
    end
    if #tasks == 1 then return cb(tasks[1].task) end
    vim.ui.select(tasks, {
      prompt = 'cadre: which task?',
      kind = 'cadre.task',
      format_item = function(t) return ('%s (%d file%s)'):format(t.task, #t.files, #t.files == 1 and '' or 's') end,
    }, function(t) if t then cb(t.task) end end)
  end)
end

-- Names for :Cadre… [task] completion.
function M.complete(lead)
  local c = client.current()
  if not c then return {} end
  local result = client.request_sync(c, 'cadre/shadow.status', nil, 1000)
  local names = {}
  for _, t in ipairs((result and result.tasks) or {}) do
    if t.task:sub(1, #lead) == lead then table.insert(names, t.task) end
  end
  return names
end

-- Load the shadow version of `path` into cadre://shadow/<task>/<path>;
-- cb(buf) (an empty buffer for a file the task deletes).
function M.shadow_buffer(c, task, path, cb)
  client.request(c, 'cadre/tools.call', { name = 'read_file', task = task, arguments = { path = path } },
    function(err, result)
      local lines = {}
      if not err and result and not result.isError then lines = scratch.lines(result.content) end
      local buf = scratch.buffer('cadre://shadow/' .. task .. '/' .. path, lines)
      vim.b[buf].cadre_task = task
      vim.b[buf].cadre_path = path
      if vim.bo[buf].filetype == '' then
        -- Detected from the buffer's name, which ends in the file's own.
        pcall(vim.api.nvim_buf_call, buf, function() vim.cmd('silent! filetype detect') end)
      end
      cb(buf)
    end, { quiet = true })
end

-- Real file (in the current window) beside its shadow version, in diff mode.
local function split_diff(c, task, path, real_win)
  M.shadow_buffer(c, task, path, function(buf)
    if real_win and vim.api.nvim_win_is_valid(real_win) then vim.api.nvim_set_current_win(real_win) end
    local real_ft = vim.bo.filetype
    vim.cmd('diffthis')
    local how = config.values.diff.split == 'horizontal' and 'rightbelow new' or 'vertical rightbelow new'
    scratch.show(buf, how)
    if real_ft ~= '' then vim.bo[buf].filetype = real_ft end
    vim.cmd('diffthis')
  end)
end

local function unified(task, result, c)
  local lines = scratch.lines(result.diff)
  if #lines == 1 and lines[1] == '' then lines = { ('(task %s has no changes)'):format(task) } end
  local buf = scratch.buffer('cadre://diff/' .. task, lines, 'diff')
  vim.b[buf].cadre_task = task
  vim.keymap.set('n', '<CR>', function()
    -- The file whose hunk the cursor is in: the nearest "+++ b/…" above,
    -- or "--- a/…" for a deletion.
    local row = vim.api.nvim_win_get_cursor(0)[1]
    for i = row, 1, -1 do
      local l = vim.api.nvim_buf_get_lines(buf, i - 1, i, false)[1]
      local p = l:match('^%+%+%+ b/(.*)$') or l:match('^%-%-%- a/(.*)$')
      if p then
        for _, f in ipairs(result.files or {}) do
          if f.path == p then
            vim.cmd('wincmd p')
            vim.cmd('edit ' .. vim.fn.fnameescape(vim.uri_to_fname(f.uri)))
            return split_diff(c, task, p, vim.api.nvim_get_current_win())
          end
        end
      end
    end
  end, { buffer = buf, desc = 'cadre: diff this file beside its shadow version' })
  scratch.show(buf, 'botright new')
  vim.api.nvim_win_set_cursor(0, { 1, 0 })
end

-- :CadreDiff[!] [task]: the current file beside its shadow version when the
-- task changes it (and no bang), the task's unified diff otherwise.
function M.diff(args)
  local c = client.require_client()
  if not c then return end
  local here = uri_of_buf(0)
  local win = vim.api.nvim_get_current_win()
  M.pick_task(c, args.args, function(task)
    client.request(c, 'cadre/shadow.diff', { task = task }, function(err, result)
      if err then return end
      if not args.bang and here then
        for _, f in ipairs(result.files or {}) do
          if same_uri(f.uri, here) then return split_diff(c, task, f.path, win) end
        end
      end
      unified(task, result, c)
    end)
  end)
end

-- Reload the buffers of files cadre wrote; say which could not be.
local function reload(uris)
  local kept = {}
  for _, uri in ipairs(uris) do
    local b = vim.fn.bufnr(vim.uri_to_fname(uri))
    if b ~= -1 and vim.api.nvim_buf_is_loaded(b) then
      if vim.bo[b].modified then
        table.insert(kept, vim.fn.fnamemodify(vim.uri_to_fname(uri), ':~:.'))
      else
        vim.api.nvim_buf_call(b, function() vim.cmd('silent edit!') end)
      end
    end
  end
  if #kept > 0 then
    client.notify('not reloaded (unsaved changes in the buffer): ' .. table.concat(kept, ', '), levels.WARN)
  end
end

-- Buffers cadre changed through workspace/applyEdit: those that had no
-- unsaved changes before the apply are written, so buffer and file agree as
-- after a reload; the others keep the user's unsaved work plus the change.
local function save_edited(uris, was_clean)
  local saved, dirty = 0, {}
  for _, uri in ipairs(uris or {}) do
    local b = vim.uri_to_bufnr(uri)
    if vim.api.nvim_buf_is_loaded(b) and vim.bo[b].modified then
      if was_clean[b] then
        vim.api.nvim_buf_call(b, function() vim.cmd('silent update') end)
        saved = saved + 1
      else
        table.insert(dirty, vim.fn.fnamemodify(vim.uri_to_fname(uri), ':~:.'))
      end
    end
  end
  if #dirty > 0 then
    client.notify('changed in the buffer, not saved (it had unsaved changes): ' .. table.concat(dirty, ', '), levels.WARN)
  end
  return saved
end

function M.apply(args)
  local c = client.require_client()
  if not c then return end
  M.pick_task(c, args.args, function(task)
    local was_clean = {}
    for _, b in ipairs(vim.api.nvim_list_bufs()) do
      if vim.api.nvim_buf_is_loaded(b) and not vim.bo[b].modified then was_clean[b] = true end
    end
    client.request(c, 'cadre/shadow.apply', { task = task }, function(err, result)
      if err then
        if err.code == client.codes.RequestCancelled then return end
        if err.code == client.codes.Unauthorized then
          require('cadre.task').note(c.id, task, 'not applied: ' .. tostring(err.message))
          return client.notify(('task %s not applied: %s'):format(task, err.message), levels.WARN)
        end
        return client.notify(client.describe('cadre/shadow.apply', err), levels.ERROR)
      end
      local written = vim.list_extend(vim.list_extend({}, result.written or {}), result.merged or {})
      drop_shadow_buffers(task)
      M.clear_lint(task)
      reload(written)
      save_edited(result.edited, was_clean)
      local what = ('applied task %s: %d written, %d merged, %d deleted, %d in buffers'):format(
        task, #(result.written or {}), #(result.merged or {}), #(result.deleted or {}), #(result.edited or {}))
      if result.notApplied and #result.notApplied > 0 then
        client.notify(('%d file%s of task %s stay in its shadow: %s'):format(#result.notApplied,
          #result.notApplied == 1 and '' or 's', task, tostring(result.editorError)), levels.WARN)
      end
      require('cadre.task').landed(c.id, task, what)
      client.notify(what)
    end, { quiet = true })
  end)
end

function M.discard(args)
  local c = client.require_client()
  if not c then return end
  M.pick_task(c, args.args, function(task)
    local function go()
      client.request(c, 'cadre/shadow.discard', { task = task }, function(err, result)
        if err then return end
        drop_shadow_buffers(task)
        M.clear_lint(task)
        local what = ('discarded task %s: %d file%s'):format(task, result.discarded, result.discarded == 1 and '' or 's')
        require('cadre.task').landed(c.id, task, what)
        client.notify(what)
      end)
    end
    if args.bang then return go() end
    vim.ui.select({ 'Discard', 'Keep' }, {
      prompt = ('cadre: discard the changes of task %s?'):format(task),
      kind = 'cadre.confirm',
    }, function(choice) if choice == 'Discard' then go() end end)
  end)
end

local severity = {
  error = vim.diagnostic.severity.ERROR,
  warning = vim.diagnostic.severity.WARN,
  info = vim.diagnostic.severity.INFO,
  note = vim.diagnostic.severity.HINT,
  hint = vim.diagnostic.severity.HINT,
}

function M.clear_lint(task)
  for _, b in ipairs(shadow_buffers(task)) do vim.diagnostic.reset(M.ns, b) end
  if config.values.lint.quickfix then
    local qf = vim.fn.getqflist({ title = 1 })
    if qf.title == 'cadre lint: ' .. (task or '') then vim.fn.setqflist({}, 'r') end
  end
end

-- :CadreLint [task]: the problems the task's change introduced, as
-- diagnostics (namespace cadre-shadow) on the shadow buffers, whose lines
-- they refer to.
function M.lint(args)
  local c = client.require_client()
  if not c then return end
  M.pick_task(c, args.args, function(task)
    client.request(c, 'cadre/shadow.lint', { task = task }, function(err, result)
      if err then return end
      M.clear_lint(task)
      local by_path, order = {}, {}
      for _, d in ipairs(result.diagnostics or {}) do
        if not by_path[d.path] then by_path[d.path] = {}; table.insert(order, d.path) end
        table.insert(by_path[d.path], d)
      end
      for _, p in ipairs(result.problems or {}) do client.notify('lint: ' .. p, levels.WARN) end
      local ran = #(result.ran or {}) > 0 and table.concat(result.ran, ', ') or 'no linter'
      local n = #(result.diagnostics or {})
      if n == 0 then
        M.last_lint = { task = task, count = 0 }
        return client.notify(('task %s: no new problems (ran: %s)'):format(task, ran))
      end
      local remaining, qf = #order, {}
      for _, path in ipairs(order) do
        M.shadow_buffer(c, task, path, function(buf)
          local diags = {}
          for _, d in ipairs(by_path[path]) do
            local col = math.max((d.column or 1) - 1, 0)
            table.insert(diags, {
              lnum = d.line - 1, col = col, end_lnum = d.line - 1, end_col = col,
              severity = severity[d.severity] or vim.diagnostic.severity.WARN,
              message = d.message, source = d.source, code = d.code ~= '' and d.code or nil,
            })
            table.insert(qf, { bufnr = buf, lnum = d.line, col = col + 1, text = ('%s (%s)'):format(d.message, d.source),
              type = (d.severity or 'w'):sub(1, 1):upper() })
          end
          vim.diagnostic.set(M.ns, buf, diags)
          remaining = remaining - 1
          if remaining == 0 then
            if config.values.lint.quickfix then
              vim.fn.setqflist({}, ' ', { title = 'cadre lint: ' .. task, items = qf })
            end
            M.last_lint = { task = task, count = n }
            client.notify(('task %s: %d new problem%s (ran: %s)%s'):format(task, n, n == 1 and '' or 's', ran,
              config.values.lint.quickfix and '; :copen lists them' or ''), levels.WARN)
          end
        end)
      end
    end)
  end)
end

return M
