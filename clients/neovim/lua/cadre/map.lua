-- :CadreMap — cadre/repoMap's text in a scratch buffer; <CR> on a line
-- opens the definition it names (from the result's entries, which come in
-- the order rendered).
local client = require('cadre.client')
local config = require('cadre.config')
local scratch = require('cadre.scratch')

local M = {}

M.bufname = 'cadre://map'

-- Pair each rendered line with a location: a signature line ("   12| def f")
-- takes the next entry, a file header line the file of the entry after it.
local function locations(lines, entries)
  local locs, k = {}, 1
  for i, line in ipairs(lines) do
    if line:match('^%s*%d+|') then
      local e = entries[k]
      if e then locs[i] = { uri = e.uri, line = e.line } end
      k = k + 1
    elseif line ~= '' and entries[k] then
      locs[i] = { uri = entries[k].uri, line = 0 }
    end
  end
  return locs
end

local function jump(loc)
  if not loc or not loc.uri then return end
  vim.cmd('wincmd p')
  vim.cmd('edit ' .. vim.fn.fnameescape(vim.uri_to_fname(loc.uri)))
  pcall(vim.api.nvim_win_set_cursor, 0, { (loc.line or 0) + 1, 0 })
end

function M.open(args)
  local c = client.require_client()
  if not c then return end
  local tokens = tonumber(args and args.args or '') or config.values.map.tokens
  client.request(c, 'cadre/repoMap', { tokens = tokens }, function(err, result)
    if err then return end
    local lines = scratch.lines(result.text)
    if #lines == 1 and lines[1] == '' then lines = { '(the repo map is empty: no definitions indexed yet)' } end
    local buf = scratch.buffer(M.bufname, lines, 'cadremap')
    local locs = locations(lines, result.entries or {})
    vim.b[buf].cadre_map_tokens = result.tokens
    vim.keymap.set('n', '<CR>', function()
      jump(locs[vim.api.nvim_win_get_cursor(0)[1]])
    end, { buffer = buf, desc = 'cadre: open this definition' })
    scratch.show(buf, 'botright new')
    vim.api.nvim_win_set_cursor(0, { 1, 0 })
  end)
end

return M
