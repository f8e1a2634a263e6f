-- The plugin's entry point: setup{} merges the configuration and starts
-- cadre for buffers of the configured filetypes; statusline() is the
-- component users put in 'statusline'. Everything else lives in the
-- feature modules beside this one.
local config = require('cadre.config')

local M = {}

local group

-- Attach cadre to a buffer now (what the FileType autocommand does).
function M.attach(bufnr)
  return require('cadre.client').attach(bufnr)
end

function M.setup(opts)
  config.set(opts)
  M.configured = true
  group = vim.api.nvim_create_augroup('cadre', { clear = true })
  local filetypes = config.values.filetypes
  if #filetypes > 0 then
    vim.api.nvim_create_autocmd('FileType', {
      group = group,
      pattern = filetypes,
      callback = function(ev) M.attach(ev.buf) end,
      desc = 'cadre: start or join the server for this project',
    })
  end
  -- Buffers opened before setup ran (a lazily loaded plugin).
  local wanted = {}
  for _, ft in ipairs(filetypes) do wanted[ft] = true end
  for _, b in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(b) and wanted[vim.bo[b].filetype] then M.attach(b) end
  end
  return config.values
end

function M.statusline()
  return require('cadre.status').statusline()
end

return M
