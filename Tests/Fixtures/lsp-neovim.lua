-- Drives `infra lsp` from Neovim (0.7 or later, headless) as a user's editor would: opens
-- infra.yaml of $REPO, waits for its diagnostics, types a connector's `hosts:` line and asks
-- for completion there, hovers an option and a host, and goes to a host's definition. What it
-- got is written to $OUT as JSON; it always quits.
local repo, out = os.getenv("REPO"), os.getenv("OUT")
local results = { diagnostics = {}, errors = {} }

local function finish()
  local file = io.open(out, "w")
  file:write(vim.fn.json_encode(results))
  file:close()
  vim.cmd("qa!")
end

local ok, problem = pcall(function()
  local client = vim.lsp.start_client({
    name = "infra", cmd = { os.getenv("INFRA"), "lsp" }, root_dir = repo,
    flags = { debounce_text_changes = 0 },  -- each edit reaches the server before the next request
    on_exit = function(code) results.exit = code end,
  })
  vim.cmd("edit " .. repo .. "/infra.yaml")
  local buffer = vim.api.nvim_get_current_buf()
  vim.lsp.buf_attach_client(buffer, client)
  results.got_diagnostics = vim.wait(60000, function() return #vim.diagnostic.get(buffer) > 0 end, 20)
  for _, diagnostic in ipairs(vim.diagnostic.get(buffer)) do
    table.insert(results.diagnostics,
      { line = diagnostic.lnum, column = diagnostic.col, message = diagnostic.message })
  end

  local function request(method, line, character)
    local answers = vim.lsp.buf_request_sync(buffer, method, {
      textDocument = { uri = vim.uri_from_bufnr(buffer) },
      position = { line = line, character = character },
    }, 60000)
    for _, answer in pairs(answers or {}) do
      if answer.err then table.insert(results.errors, vim.inspect(answer.err)) end
      return answer.result
    end
  end

  -- A `hosts:` line typed below `- name: files` (line 9), the cursor after "we".
  vim.api.nvim_buf_set_lines(buffer, 10, 10, false, { "        hosts: [we" })
  local items = request("textDocument/completion", 10, 18) or {}
  results.completion = {}
  for _, item in ipairs(items.items or items) do table.insert(results.completion, item.label) end
  vim.api.nvim_buf_set_lines(buffer, 10, 11, false, {})

  local hover = request("textDocument/hover", 11, 11)
  results.hover_option = hover and hover.contents and hover.contents.value
  local host = request("textDocument/hover", 2, 3)
  results.hover_host = host and host.contents and host.contents.value
  local definition = request("textDocument/definition", 14, 17)
  results.definition = definition
  vim.lsp.stop_client(client)
  vim.wait(10000, function() return results.exit ~= nil end, 20)
end)
if not ok then table.insert(results.errors, tostring(problem)) end
finish()
