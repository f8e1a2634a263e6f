-- The few places where Neovim's API differs between 0.7 and current
-- releases, each settled by looking for the feature, never at the version.
local M = {}

local uv = vim.uv or vim.loop

M.islist = vim.islist or vim.tbl_islist

-- Call a method of an LSP client object. Newer releases define them on a
-- class (client:request(...)); older ones store closures on the instance
-- (client.request(...)).
function M.call(client, name, ...)
  local mt = getmetatable(client)
  local class = mt and type(mt.__index) == 'table' and mt.__index or nil
  if class and type(rawget(class, name)) == 'function' then
    return class[name](client, ...)
  end
  return client[name](...)
end

function M.clients()
  if vim.lsp.get_clients then return vim.lsp.get_clients() end
  return vim.lsp.get_active_clients()
end

function M.is_stopped(client)
  return M.call(client, 'is_stopped')
end

-- :checkhealth reporting: vim.health.start/ok/… (current), vim.health.report_*
-- (0.8 to 0.9), require('health').report_* (0.7).
function M.health()
  local h = vim.health
  if h and h.start then
    return { start = h.start, ok = h.ok, warn = h.warn, error = h.error, info = h.info }
  end
  h = (h and h.report_start) and h or require('health')
  return { start = h.report_start, ok = h.report_ok, warn = h.report_warn, error = h.report_error, info = h.report_info }
end

-- Upward search for the first directory holding one of `markers`.
function M.find_root(start, markers)
  local dir = start
  while dir and dir ~= '' do
    for _, m in ipairs(markers) do
      if uv.fs_stat(dir .. '/' .. m) then return dir end
    end
    local parent = vim.fn.fnamemodify(dir, ':h')
    if parent == dir then break end
    dir = parent
  end
  return nil
end

-- Answering a server → client request later (after a vim.ui.select that
-- returns before its callback runs) is possible where Neovim runs server
-- request handlers in a coroutine.
function M.can_yield()
  local co = coroutine.running()
  if not co then return false end
  if coroutine.isyieldable then return coroutine.isyieldable() end
  return true
end

return M
