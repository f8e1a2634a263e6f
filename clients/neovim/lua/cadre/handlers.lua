-- The handlers cadre's client gets besides Neovim's defaults: approvals (a
-- server → client request) and progress for the statusline.
local M = {}

function M.table()
  return {
    ['cadre/approval.request'] = function(...) return require('cadre.approvals').handle(...) end,
    ['$/progress'] = function(...) return require('cadre.progress').handle(...) end,
  }
end

return M
