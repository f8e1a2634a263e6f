-- cadre's diagnostics reach vim.diagnostic; :CadreFix runs the quick fix for
-- a broken import through vim.lsp.buf.code_action; :CadreRename renames a
-- symbol across files through vim.lsp.buf.rename.
local here = debug.getinfo(1, 'S').source:sub(2):match('(.*/)') or './'
package.path = here .. '?.lua;' .. package.path
local H = require('helpers')

local picked = {}
vim.ui.select = function(items, opts, on_choice)
  table.insert(picked, { kind = opts.kind, titles = vim.tbl_map(function(i)
    return opts.format_item and opts.format_item(i) or tostring(i)
  end, items) })
  on_choice(items[1], 1)
end

H.run(function()
  H.setup()
  local dir = H.project({
    ['pkg/__init__.py'] = '',
    ['pkg/text/__init__.py'] = '',
    ['pkg/text/utils.py'] = 'def slugify(s):\n    return s\n',
    ['pkg/text/case.py'] = 'def titlecase(s):\n    return s\n',
    ['main.py'] = 'from pkg.utils import slugify\nprint(slugify("x"))\n',
  })
  local buf = H.open(dir, 'main.py')
  H.check(vim.fn.maparg('<leader>cm', 'n') == '', 'no mappings by default')
  H.wait_indexed()
  H.wait(function()
    for _, d in ipairs(vim.diagnostic.get(buf)) do
      if d.source == 'cadre' and d.lnum == 0 then return true end
    end
  end, "cadre's unresolved-import diagnostic is in vim.diagnostic")

  vim.api.nvim_win_set_cursor(0, { 1, 7 })
  vim.cmd('CadreFix')
  H.wait(function() return vim.api.nvim_buf_get_lines(buf, 0, 1, false)[1] == 'from pkg.text.utils import slugify' end,
    ':CadreFix rewrote the import to pkg.text.utils')
  local p = picked[#picked]
  H.eq(p and p.kind, 'codeaction', 'the fix was offered through vim.lsp.buf.code_action')
  H.contains(p and p.titles[1], 'Import from `pkg.text.utils`', 'the action is the import quick fix')
  H.wait(function()
    for _, d in ipairs(vim.diagnostic.get(buf)) do
      if d.source == 'cadre' then return false end
    end
    return true
  end, 'the diagnostic is gone after the fix')

  -- :CadreRename on the use of slugify renames the definition too.
  vim.cmd('silent write')
  vim.api.nvim_win_set_cursor(0, { 2, 7 })
  vim.cmd('CadreRename to_slug')
  H.wait(function() return vim.api.nvim_buf_get_lines(buf, 1, 2, false)[1] == 'print(to_slug("x"))' end,
    ':CadreRename renamed the use')
  H.eq(vim.api.nvim_buf_get_lines(buf, 0, 1, false)[1], 'from pkg.text.utils import to_slug', '... and the import')
  local utils = vim.fn.bufnr(dir .. '/pkg/text/utils.py')
  H.check(utils ~= -1, 'the defining file was loaded for the edit')
  H.eq(utils ~= -1 and vim.api.nvim_buf_get_lines(utils, 0, 1, false)[1], 'def to_slug(s):', '... and the definition renamed')
end)
