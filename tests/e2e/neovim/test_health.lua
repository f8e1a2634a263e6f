-- :checkhealth cadre (and :CadreHealth) report the binary, its version, a
-- server that starts and answers cadre/status, the models and the sandbox;
-- a wrong binary is an error that says what to do.
local here = debug.getinfo(1, 'S').source:sub(2):match('(.*/)') or './'
package.path = here .. '?.lua;' .. package.path
local H = require('helpers')

local function report()
  vim.cmd('CadreHealth')
  local text = H.buf_text(0)
  vim.cmd('silent! tabclose')
  return text
end

H.run(function()
  H.setup()
  local dir = H.project({ ['app.py'] = 'X = 1\n' })
  H.open(dir, 'app.py')
  local text = report()
  for _, name in ipairs({ 'setup', 'binary', 'server', 'models', 'sandbox' }) do
    -- "## name" (0.7) or "name ~" (current releases)
    H.check(text:find('\n## ' .. name .. '\n', 1, true) or text:find('\n' .. name .. ' ~', 1, true),
      'the report has the ' .. name .. ' section')
  end
  H.contains(text, "require('cadre').setup{} was called", 'setup was seen')
  H.contains(text, 'found: ' .. vim.env.CADRE_BIN, 'the binary is found')
  H.contains(text, 'version: cadre 0.1.0', 'the version comes from `cadre --version`')
  H.contains(text, 'answered cadre/status (cadre 0.1.0)', 'a server started and answered cadre/status')
  H.contains(text, 'running: client', 'the running client is listed')
  H.contains(text, 'http://127.0.0.1:11434', 'the default Ollama endpoint is checked (none runs here)')
  if vim.fn.executable('bwrap') == 1 then
    H.contains(text, 'commands can run sandboxed', 'bubblewrap is reported')
  else
    H.contains(text, 'bubblewrap (bwrap) not found', 'missing bubblewrap is reported')
  end
  H.check(not text:find('ERROR', 1, true), 'no errors in a working setup', text)

  -- A cmd that does not exist.
  require('cadre.config').values.cmd = { '/nonexistent/cadre', 'serve' }
  text = report()
  H.contains(text, '/nonexistent/cadre not found or not executable', 'a missing binary is an error')
  H.contains(text, 'cmd = "/path/to/cadre"', '... with what to do')
end)
