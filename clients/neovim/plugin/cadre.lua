-- Loaded once per session. Nothing starts until require('cadre').setup{} is
-- called; :CadreHealth is global so a server that will not start can still
-- be diagnosed. The other :Cadre… commands are buffer-local, defined when
-- cadre attaches to a buffer.
if vim.g.loaded_cadre then
  return
end
vim.g.loaded_cadre = 1

vim.api.nvim_create_user_command('CadreHealth', function()
  vim.cmd('checkhealth cadre')
end, { desc = 'cadre: :checkhealth cadre' })
