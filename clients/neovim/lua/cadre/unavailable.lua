-- Commands whose backend methods this cadre build does not have yet. They
-- exist so that mappings and muscle memory work, and say so loudly.
local M = {}

M.reasons = {
  CadreCheckpoints = 'cadre/checkpoint.* is not on the wire yet; in a terminal, `cadre checkpoints list|diff|restore` works',
}

function M.command(name)
  return function()
    vim.notify(('cadre: :%s is not available in this cadre build yet — %s'):format(name, M.reasons[name]),
      vim.log.levels.ERROR)
  end
end

return M
