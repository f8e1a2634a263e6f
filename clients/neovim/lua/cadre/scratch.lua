-- Scratch buffers for what cadre returns (the map, diffs, status): named
-- cadre://…, not backed by a file, reused when shown again.
local M = {}

-- Get or create the scratch buffer `name` holding `lines`.
function M.buffer(name, lines, filetype)
  local buf = vim.fn.bufnr('^' .. vim.fn.escape(name, '\\/.*$^~[]') .. '$')
  if buf == -1 or not vim.api.nvim_buf_is_valid(buf) then
    buf = vim.api.nvim_create_buf(false, true)
    vim.api.nvim_buf_set_name(buf, name)
  end
  vim.bo[buf].buftype = 'nofile'
  vim.bo[buf].bufhidden = 'hide'
  vim.bo[buf].swapfile = false
  vim.bo[buf].modifiable = true
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
  vim.bo[buf].modifiable = false
  vim.bo[buf].modified = false
  if filetype then vim.bo[buf].filetype = filetype end
  -- The :Cadre… commands work from here too, on the same server.
  local c = require('cadre.client').current()
  if c and vim.b[buf].cadre_attached ~= c.id then require('cadre.commands').attach(c, buf) end
  return buf
end

-- Show `buf` in a window: the one already showing it, or a new split.
-- `how` is an Ex split command ('botright new', 'vertical rightbelow new'…).
function M.show(buf, how)
  for _, win in ipairs(vim.api.nvim_tabpage_list_wins(0)) do
    if vim.api.nvim_win_get_buf(win) == buf then
      vim.api.nvim_set_current_win(win)
      return win
    end
  end
  vim.cmd(how or 'botright new')
  local scratch = vim.api.nvim_get_current_buf()
  vim.api.nvim_win_set_buf(0, buf)
  if scratch ~= buf and vim.api.nvim_buf_get_name(scratch) == '' then
    pcall(vim.api.nvim_buf_delete, scratch, { force = true })
  end
  return vim.api.nvim_get_current_win()
end

-- Text as lines (a trailing newline ends the last line, adds none).
function M.lines(text)
  local l = vim.split(text or '', '\n', { plain = true })
  if #l > 1 and l[#l] == '' then table.remove(l) end
  return l
end

return M
