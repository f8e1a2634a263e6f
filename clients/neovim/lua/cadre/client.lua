-- Starting cadre through Neovim's LSP client, attaching buffers to it, and
-- sending cadre's own requests (remembered, so :CadreCancel can cancel the
-- last one and the statusline can show what is waiting).
local compat = require('cadre.compat')
local config = require('cadre.config')

local M = {}

M.name = 'cadre'

-- Error codes cadre documents (docs/protocol.md, "Error codes").
M.codes = {
  MethodNotFound = -32601,
  InvalidParams = -32602,
  InvalidRequest = -32600,
  RequestCancelled = -32800,
  RequestFailed = -32803,
  Unavailable = -32012,
  Unauthorized = -32014,
}

-- root_dir → client id, for releases without vim.lsp.start (which finds a
-- client to reuse itself).
local by_root = {}

-- The cadre requests in flight, oldest first: {client_id, id, method, bufnr}.
M.pending = {}

local function notify(msg, level)
  vim.notify('cadre: ' .. msg, level or vim.log.levels.INFO)
end
M.notify = notify

function M.capabilities()
  local caps = vim.lsp.protocol.make_client_capabilities()
  caps.window = caps.window or {}
  caps.window.workDoneProgress = true
  caps.experimental = caps.experimental or {}
  caps.experimental.cadre = { approvals = true }
  return caps
end

local function root_for(bufnr)
  local name = vim.api.nvim_buf_get_name(bufnr)
  if name == '' then return nil end
  local dir = vim.fn.fnamemodify(name, ':p:h')
  local root = compat.find_root(dir, config.values.root_markers)
  if not root and config.values.single_file then root = dir end
  return root
end

local function lsp_config(root)
  local cfg = config.values
  local init_options = nil
  if type(cfg.settings) == 'table' and next(cfg.settings) ~= nil then
    init_options = { settings = { cadre = cfg.settings } }
  end
  return {
    name = M.name,
    cmd = cfg.cmd,
    cmd_env = cfg.cmd_env,
    root_dir = root,
    workspace_folders = { { uri = vim.uri_from_fname(root), name = vim.fn.fnamemodify(root, ':t') } },
    capabilities = M.capabilities(),
    init_options = init_options,
    handlers = require('cadre.handlers').table(),
    on_attach = function(client, bufnr)
      require('cadre.commands').attach(client, bufnr)
      if cfg.on_attach then cfg.on_attach(client, bufnr) end
    end,
    on_exit = function(code, signal, client_id)
      for r, id in pairs(by_root) do
        if id == client_id then by_root[r] = nil end
      end
      for i = #M.pending, 1, -1 do
        if M.pending[i].client_id == client_id then table.remove(M.pending, i) end
      end
      if code ~= 0 then
        vim.schedule(function()
          notify(('the server exited with code %d%s (see :CadreHealth)'):format(
            code, signal ~= 0 and (' (signal ' .. signal .. ')') or ''), vim.log.levels.WARN)
        end)
      end
    end,
  }
end

-- Start cadre for the buffer's project (or reuse the running one) and attach.
function M.attach(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  if vim.bo[bufnr].buftype ~= '' then return nil end
  local root = root_for(bufnr)
  if not root then return nil end
  if type(config.values.cmd) == 'table' and vim.fn.executable(config.values.cmd[1]) ~= 1 then
    notify(('cannot start the server: %s is not executable (set cmd in setup{}; see :checkhealth cadre)'):format(
      config.values.cmd[1]), vim.log.levels.ERROR)
    return nil
  end
  local lc = lsp_config(root)
  if vim.lsp.start then
    local id
    vim.api.nvim_buf_call(bufnr, function()
      id = vim.lsp.start(lc, {
        bufnr = bufnr,
        reuse_client = function(client, conf)
          return client.name == conf.name and client.config.root_dir == conf.root_dir
        end,
      })
    end)
    return id
  end
  local id = by_root[root]
  if id and (not vim.lsp.get_client_by_id(id) or compat.is_stopped(vim.lsp.get_client_by_id(id))) then id = nil end
  if not id then
    id = vim.lsp.start_client(lc)
    if not id then return nil end
    by_root[root] = id
  end
  vim.lsp.buf_attach_client(bufnr, id)
  return id
end

-- The cadre client serving a buffer (the current one by default), or nil.
function M.get(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  for _, client in ipairs(compat.clients()) do
    if client.name == M.name and vim.lsp.buf_is_attached(bufnr, client.id) and not compat.is_stopped(client) then
      return client
    end
  end
  return nil
end

-- The cadre client of the current buffer, or the only one running (commands
-- run from scratch buffers such as the map or a diff).
function M.current()
  local c = M.get(0)
  if c then return c end
  local found
  for _, client in ipairs(compat.clients()) do
    if client.name == M.name and not compat.is_stopped(client) then
      if found then return nil end
      found = client
    end
  end
  return found
end

function M.require_client()
  local c = M.current()
  if not c then
    notify('no cadre server is attached to this buffer (open a project file; see :checkhealth cadre)',
      vim.log.levels.ERROR)
  end
  return c
end

-- A readable line for a JSON-RPC error from cadre.
function M.describe(method, err)
  if err.code == M.codes.MethodNotFound then
    return method .. ' is not available in this cadre build yet'
  end
  return ('%s failed: %s'):format(method, err.message or vim.inspect(err))
end

local function forget(client_id, id)
  for i, p in ipairs(M.pending) do
    if p.client_id == client_id and p.id == id then
      table.remove(M.pending, i)
      return p
    end
  end
end

-- Send a cadre request; cb(err, result) runs on the main loop. Errors are
-- shown to the user unless opts.quiet; cb still gets them.
function M.request(client, method, params, cb, opts)
  opts = opts or {}
  local bufnr = opts.bufnr or vim.api.nvim_get_current_buf()
  local id_box = {}
  local ok, id = compat.call(client, 'request', method, params or vim.empty_dict(), function(err, result)
    -- Not pending any more: :CadreCancel already answered the caller.
    if not forget(client.id, id_box.id) then return end
    if err and not opts.quiet then
      notify(M.describe(method, err), vim.log.levels.ERROR)
    end
    vim.cmd('redrawstatus')
    if cb then cb(err, result) end
  end, bufnr)
  if not ok then
    notify(method .. ': the server is not running', vim.log.levels.ERROR)
    if cb then cb({ code = M.codes.Unavailable, message = 'the server is not running' }, nil) end
    return nil
  end
  id_box.id = id
  -- A reply may already have come (a synchronous client); then it is gone.
  table.insert(M.pending, { client_id = client.id, id = id, method = method, bufnr = bufnr, cb = cb })
  vim.cmd('redrawstatus')
  return id
end

-- Synchronous variant for completion functions and health: result, err.
function M.request_sync(client, method, params, timeout_ms)
  local res, err = compat.call(client, 'request_sync', method, params or vim.empty_dict(), timeout_ms or 2000, 0)
  if not res then return nil, err end
  return res.result, res.err
end

-- Cancel the newest cadre request still waiting. Returns its method or nil.
function M.cancel_last()
  local p = table.remove(M.pending)
  if not p then return nil end
  local client = vim.lsp.get_client_by_id(p.client_id)
  if client then compat.call(client, 'cancel_request', p.id) end
  if p.cb then
    p.cb({ code = M.codes.RequestCancelled, message = 'cancelled' }, nil)
  end
  vim.cmd('redrawstatus')
  return p.method
end

return M
