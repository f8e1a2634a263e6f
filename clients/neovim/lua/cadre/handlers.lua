-- The handlers cadre's client gets besides Neovim's defaults: approvals (a
-- server → client request), progress for the statusline, and the events of
-- running tasks.
local M = {}

function M.table()
  return {
    ['cadre/approval.request'] = function(...) return require('cadre.approvals').handle(...) end,
    ['$/progress'] = function(...) return require('cadre.progress').handle(...) end,
    ['cadre/task.event'] = function(...) return require('cadre.task').on_event(...) end,
  }
end

return M
