-- The handlers cadre's client gets besides Neovim's defaults: approvals (a
-- server → client request), progress for the statusline, the events of
-- running tasks, and the tasks server commands start.
local M = {}

function M.table()
  return {
    ['cadre/approval.request'] = function(...) return require('cadre.approvals').handle(...) end,
    ['$/progress'] = function(...) return require('cadre.progress').handle(...) end,
    ['cadre/task.event'] = function(...) return require('cadre.task').on_event(...) end,
    -- vim.lsp.buf.code_action runs a server command through
    -- workspace/executeCommand; cadre's agent commands answer {task}: the
    -- task is shown like one started with :CadreAsk.
    ['workspace/executeCommand'] = function(err, result, ctx)
      if err then
        return vim.notify('cadre: ' .. require('cadre.client').describe('workspace/executeCommand', err), vim.log.levels.ERROR)
      end
      if type(result) == 'table' and type(result.task) == 'string' then
        local c = vim.lsp.get_client_by_id(ctx.client_id)
        if c then
          local cmd = type(ctx.params) == 'table' and ctx.params.command or 'command'
          require('cadre.task').adopt(c, result.task, { prompt = cmd, title = cmd, kind = 'ask' })
        end
      end
    end,
  }
end

return M
