-- :CadreLint runs the project's linters on a task's change (gcc here, found
-- on PATH) and shows only what the change introduced as vim.diagnostic in the
-- cadre-shadow namespace, on the shadow buffer whose lines they refer to,
-- and in the quickfix list.
local here = debug.getinfo(1, 'S').source:sub(2):match('(.*/)') or './'
package.path = here .. '?.lua;' .. package.path
local H = require('helpers')

vim.ui.select = function(items, opts, on_choice)
  on_choice(opts.kind == 'cadre.approval' and 'allowOnce' or items[1])
end

H.run(function()
  if vim.fn.executable('gcc') ~= 1 then
    H.out('SKIP gcc is not on PATH')
    return
  end
  H.setup()
  local dir = H.project({ ['main.c'] = 'int main(void) {\n  return 0;\n}\n' })
  H.open(dir, 'main.c')
  local res, err = H.request('cadre/tools.call', { name = 'write_file', task = 'lint1',
    arguments = { path = 'main.c', content = 'int main(void) {\n  int unused = 1;\n  return missing;\n}\n' } })
  H.check(err == nil and res and not res.isError, 'write_file into task lint1')
  H.notes = {}
  vim.cmd('CadreLint lint1')
  H.wait(function() return H.note('task lint1:') ~= nil end, ':CadreLint reported', 30000)
  H.contains(H.note('task lint1:') and H.note('task lint1:').msg, 'ran: gcc', 'the summary names the linter')
  local ns = require('cadre.shadow').ns
  local sbuf = vim.fn.bufnr('cadre://shadow/lint1/main.c')
  H.check(sbuf ~= -1, 'the shadow version of main.c is in a buffer')
  local diags = sbuf ~= -1 and vim.diagnostic.get(sbuf, { namespace = ns }) or {}
  local found
  for _, d in ipairs(diags) do
    if d.message:find('missing', 1, true) then found = d end
  end
  H.check(found ~= nil, "gcc's error about `missing` is a diagnostic in the cadre-shadow namespace", vim.inspect(diags))
  H.eq(found and found.lnum, 2, '... on the line of the shadow version (0-based 2)')
  H.eq(found and found.severity, vim.diagnostic.severity.ERROR, '... as an error')
  H.eq(vim.api.nvim_get_namespaces()['cadre-shadow'], ns, 'the namespace is called cadre-shadow')
  local qf = vim.fn.getqflist({ title = 1, items = 1 })
  H.eq(qf.title, 'cadre lint: lint1', 'the quickfix list holds the task lint')
  H.check(#qf.items >= 1 and qf.items[1].bufnr == sbuf, 'quickfix entries point into the shadow buffer')

  -- Discarding the task clears them.
  vim.cmd('CadreDiscard! lint1')
  H.wait(function() return H.note('discarded task lint1') ~= nil end, ':CadreDiscard! discarded without asking')
  H.check(vim.fn.bufnr('cadre://shadow/lint1/main.c') == -1, 'the shadow buffer is gone')
  H.eq(vim.fn.getqflist({ title = 1 }).title ~= 'cadre lint: lint1' or #vim.fn.getqflist() == 0, true,
    'the quickfix list no longer holds the lint')
end)
