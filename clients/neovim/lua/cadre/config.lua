-- The plugin's settings as data: the defaults, and setup{}'s merge of the
-- user's table over them. Nothing here starts or decides anything.
local compat = require('cadre.compat')

local M = {}

M.defaults = {
  -- The server command: a list, or a string naming the cadre binary (then
  -- `serve --stdio` is appended).
  cmd = { 'cadre', 'serve', '--stdio' },
  -- Extra environment for the server process.
  cmd_env = nil,
  -- Buffers of these filetypes start (or join) a cadre server.
  filetypes = {
    'python', 'javascript', 'javascriptreact', 'typescript', 'typescriptreact',
    'c', 'cpp', 'go', 'rust', 'java', 'lua', 'sh', 'bash',
  },
  -- The project root is the nearest ancestor holding one of these; with none,
  -- the file's own directory (when single_file is true).
  root_markers = { '.cadre', '.git', 'pyproject.toml', 'package.json', 'go.mod', 'Cargo.toml', 'CMakeLists.txt' },
  single_file = true,
  -- Sent as initializationOptions.settings.cadre (the editor-settings layer of
  -- cadre's configuration, see docs/configuration.md).
  settings = {},
  -- false: no mappings. true: the defaults below. A table: command name → lhs
  -- (false leaves one out), merged over the defaults.
  keymaps = false,
  default_keymaps = {
    CadreMap = '<leader>cm',
    CadreDiff = '<leader>cd',
    CadreApply = '<leader>ca',
    CadreDiscard = '<leader>cx',
    CadreLint = '<leader>cl',
    CadreFix = '<leader>cf',
    CadreRename = '<leader>cr',
    CadreStatus = '<leader>cs',
    CadreCancel = '<leader>cc',
  },
  approvals = {
    -- Where the command or diff is shown before the question: 'float' or 'split'.
    preview = 'float',
    -- Ask for a note (given back to the model) after a denial.
    deny_note = false,
    -- Neovim releases that cannot answer a server request later wait this
    -- long for an asynchronous vim.ui.select; past it the answer is "deny".
    timeout_ms = 600000,
  },
  diff = {
    -- 'vertical' or 'horizontal' split for the real/shadow diff.
    split = 'vertical',
  },
  map = {
    tokens = 2048,
  },
  lint = {
    -- Also fill the quickfix list with the task's lint problems.
    quickfix = true,
  },
  task = {
    -- Where :CadreAsk, :CadrePlan and :CadreExplain stream the task:
    -- 'split' (below), 'vsplit' (right) or 'float'.
    view = 'split',
    -- Show the models' tokens as they stream (:CadreExplain always shows
    -- the executor's: they are the answer).
    tokens = true,
    -- Token budget of the repo map the task starts with (false: cadre's
    -- default, 2048).
    map_tokens = false,
  },
  -- Called as on_attach(client, bufnr) after cadre's own setup of a buffer.
  on_attach = nil,
}

M.values = vim.deepcopy(M.defaults)

local function is_list(t)
  return type(t) == 'table' and next(t) ~= nil and compat.islist(t)
end

-- Lists replace, tables merge (an empty table merges: it could be either),
-- everything else replaces.
local function merge(base, over)
  if type(base) ~= 'table' or type(over) ~= 'table' or is_list(over) or is_list(base) then
    return vim.deepcopy(over)
  end
  local out = vim.deepcopy(base)
  for k, v in pairs(over) do
    out[k] = merge(base[k], v)
  end
  return out
end

function M.set(opts)
  M.values = merge(M.defaults, opts or {})
  if type(M.values.cmd) == 'string' then
    M.values.cmd = { M.values.cmd, 'serve', '--stdio' }
  end
  return M.values
end

-- The command → lhs table in effect (empty when keymaps are off).
function M.keymaps()
  local k = M.values.keymaps
  if k == true then return vim.deepcopy(M.values.default_keymaps) end
  if type(k) == 'table' then return merge(M.values.default_keymaps, k) end
  return {}
end

return M
