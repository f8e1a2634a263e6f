-- doc/cadre.txt is valid vimdoc: :helptags succeeds on it, and every
-- command the plugin defines and every option it has is tagged.
local here = debug.getinfo(1, 'S').source:sub(2):match('(.*/)') or './'
package.path = here .. '?.lua;' .. package.path
local H = require('helpers')

H.run(function()
  local doc = vim.api.nvim_get_runtime_file('doc/cadre.txt', false)[1]
  H.check(doc ~= nil, 'doc/cadre.txt is on the runtimepath')
  local dir = vim.fn.tempname()
  vim.fn.mkdir(dir .. '/doc', 'p')
  vim.fn.writefile(vim.fn.readfile(doc, 'b'), dir .. '/doc/cadre.txt', 'b')
  local ok, err = pcall(vim.cmd, 'helptags ' .. vim.fn.fnameescape(dir .. '/doc'))
  H.check(ok, ':helptags succeeds', err)
  local tags = {}
  for _, line in ipairs(vim.fn.readfile(dir .. '/doc/tags')) do
    tags[line:match('^[^\t]+')] = true
  end
  H.check(tags['cadre.txt'] and tags['cadre'], 'the file and the plugin are tagged')
  for _, cmd in ipairs(require('cadre.commands').list) do
    H.check(tags[':' .. cmd.name], ':' .. cmd.name .. ' has a help tag')
  end
  H.check(tags[':CadreHealth'], ':CadreHealth has a help tag')
  for key, value in pairs(require('cadre.config').defaults) do
    if key ~= 'default_keymaps' then
      if type(value) == 'table' and not require('cadre.compat').islist(value) and next(value) ~= nil then
        for sub in pairs(value) do
          H.check(tags['cadre-opt-' .. key .. '.' .. sub], 'option ' .. key .. '.' .. sub .. ' is documented')
        end
      else
        H.check(tags['cadre-opt-' .. key], 'option ' .. key .. ' is documented')
      end
    end
  end
  for _, t in ipairs({ 'cadre.setup()', 'cadre.statusline()', 'cadre-approvals', 'cadre-health', 'cadre-tasks' }) do
    H.check(tags[t], t .. ' has a help tag')
  end
  -- Lines fit the 78 columns of 'textwidth' in the modeline.
  local long = {}
  for i, l in ipairs(vim.fn.readfile(doc)) do
    if vim.fn.strdisplaywidth(l) > 78 then table.insert(long, i) end
  end
  H.eq(long, {}, 'no line is wider than 78 columns')
end)
