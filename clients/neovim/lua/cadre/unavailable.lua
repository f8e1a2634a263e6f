-- Commands whose backend methods this cadre build does not have yet. They
-- exist so that mappings and muscle memory work, and say so loudly.
local M = {}

M.reasons = {
  CadreAsk = 'it needs tasks on the wire (cadre/task.*: plan, execute, review with models)',
  CadrePlan = 'it needs tasks on the wire (cadre/task.*: the planner role)',
  CadreExplain = 'it needs tasks on the wire (cadre/task.*: a model explaining the selection)',
  CadreCheckpoints = 'cadre/checkpoint.* is not on the wire yet; in a terminal, `cadre checkpoints list|diff|restore` works',
}

function M.command(name)
  return function()
    vim.notify(('cadre: :%s is not available in this cadre build yet — %s'):format(name, M.reasons[name]),
      vim.log.levels.ERROR)
  end
end

return M
