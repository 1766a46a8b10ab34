-- tinybird.nvim: the tinybird-lsp language server, the tree-sitter parser and commands for
-- Tinybird data projects (.datasource, .pipe, .incl, .connection).
--
-- Neovim 0.11+:  vim.lsp.enable("tinybird")            (config in lsp/tinybird.lua)
-- Neovim 0.10:   require("tinybird").setup({ ... })
local M = {}

M.root_markers = { ".tinyenv", "tinybird.json", "datasources", "pipes", "endpoints", ".git" }

--- Options of setup(): `cmd` (default { "tinybird-lsp", "serve" }), `init_options` (server
--- settings, docs/configuration.md), `on_attach`, `capabilities`.
M.options = {}

local function plugin_root()
  local source = debug.getinfo(1, "S").source:sub(2)
  return vim.fn.fnamemodify(source, ":p:h:h:h")
end

--- The LSP client configuration (the table `vim.lsp.config` takes).
function M.config(opts)
  opts = vim.tbl_deep_extend("force", M.options, opts or {})
  return {
    cmd = opts.cmd or { "tinybird-lsp", "serve" },
    filetypes = { "tinybird" },
    root_markers = M.root_markers,
    init_options = opts.init_options or {},
    on_attach = opts.on_attach,
    capabilities = opts.capabilities,
  }
end

--- Registers the tree-sitter parser when it has been built (see build_parser), so that
--- highlighting, folds and SQL injection come from the queries in queries/tinybird/.
function M.register_parser()
  if not (vim.treesitter and vim.treesitter.language) then
    return false
  end
  local lib = plugin_root() .. "/parser/tinybird.so"
  if vim.fn.filereadable(lib) == 1 then
    local ok = pcall(vim.treesitter.language.add, "tinybird", { path = lib })
    if ok then
      vim.treesitter.language.register("tinybird", "tinybird")
      return true
    end
  end
  return false
end

--- Compiles the tree-sitter grammar (grammar/src in the tinybird-lsp checkout) into
--- parser/tinybird.so with the C compiler `cc`. Returns the library's path or nil and an error.
function M.build_parser(grammar_src)
  grammar_src = grammar_src or (plugin_root() .. "/../../grammar/src")
  local out_dir = plugin_root() .. "/parser"
  vim.fn.mkdir(out_dir, "p")
  local lib = out_dir .. "/tinybird.so"
  local cmd = {
    "cc", "-shared", "-fPIC", "-O2", "-I", grammar_src,
    grammar_src .. "/parser.c", grammar_src .. "/scanner.c", "-o", lib,
  }
  local result = vim.system(cmd, { text = true }):wait()
  if result.code ~= 0 then
    return nil, result.stderr
  end
  M.register_parser()
  return lib
end

--- Neovim 0.10 (works on 0.11 too): starts the server for Tinybird buffers.
-- The server's code lenses ("3 readers · materializes into x") run this client command with
-- (uri, position, locations): the locations go to the quickfix list.
vim.lsp.commands["tinybird.showReferences"] = function(command, ctx)
  local locations = (command.arguments or {})[3] or {}
  local client = ctx and vim.lsp.get_client_by_id(ctx.client_id)
  local items = vim.lsp.util.locations_to_items(locations, client and client.offset_encoding or "utf-16")
  vim.fn.setqflist({}, " ", { title = command.title or "Tinybird references", items = items })
  if #items > 0 then
    vim.cmd("copen")
  end
end

-- The deploy lens of a changed datafile ("deploys as: rewrite ...") runs this client command
-- with the file's uri: the plan of its project in a scratch buffer.
vim.lsp.commands["tinybird.showDeployPlan"] = function(command)
  local uri = (command.arguments or {})[1]
  require("tinybird").plan(uri and vim.uri_to_bufnr(uri) or nil)
end

function M.setup(opts)
  M.options = vim.tbl_deep_extend("force", M.options, opts or {})
  M.register_parser()
  if vim.lsp.config and vim.lsp.enable then
    vim.lsp.config("tinybird", M.config())
    vim.lsp.enable("tinybird")
    return
  end
  vim.api.nvim_create_autocmd("FileType", {
    pattern = "tinybird",
    group = vim.api.nvim_create_augroup("tinybird_lsp", { clear = true }),
    callback = function(args)
      local config = M.config()
      config.root_dir = vim.fs.root(args.buf, M.root_markers)
        or vim.fs.dirname(vim.api.nvim_buf_get_name(args.buf))
      config.name = "tinybird"
      config.root_markers = nil
      vim.lsp.start(config, { bufnr = args.buf })
    end,
  })
end

-- ---- commands ---------------------------------------------------------------------------

local function client_for(bufnr)
  local get = vim.lsp.get_clients or vim.lsp.get_active_clients
  return get({ name = "tinybird", bufnr = bufnr })[1] or get({ name = "tinybird" })[1]
end

local function request(client, method, params, handler, bufnr)
  if vim.fn.has("nvim-0.11") == 1 then
    return client:request(method, params, handler, bufnr)
  end
  return client.request(method, params, handler, bufnr)
end

local function notify(msg, level)
  vim.notify("tinybird: " .. msg, level or vim.log.levels.INFO)
end

local function identifier(s)
  return s ~= nil and s:match("^[%a_][%w_]*$") ~= nil
end

--- Runs the server's tinybird.migrate command; asks for the time column when the server
--- needs one.
local function migrate(client, req, bufnr, attempt)
  request(client, "workspace/executeCommand", { command = "tinybird.migrate", arguments = { req } }, function(err)
    if not err then
      return
    end
    local choices = err.data and err.data.choices
    if choices and #choices > 0 and (attempt or 1) < 3 then
      vim.ui.select(choices, { prompt = "Which time column carries the cutoff?" }, function(choice)
        if choice then
          req.timeColumn = choice
          migrate(client, req, bufnr, (attempt or 1) + 1)
        end
      end)
    end
    -- Other errors: the server has shown the message (window/showMessage).
  end, bufnr)
end

--- :TinybirdAddColumn [datasource]: asks for the materialized view (the current file's
--- first), the column's name, type and expression, then runs the safe migration.
function M.add_column(datasource)
  local bufnr = vim.api.nvim_get_current_buf()
  local client = client_for(bufnr)
  if not client then
    return notify("the language server is not running for this buffer", vim.log.levels.ERROR)
  end
  local uri = vim.uri_from_bufnr(bufnr)
  request(client, "tinybird/materializedViews", { uri = uri }, function(err, result)
    if err then
      return notify(err.message, vim.log.levels.ERROR)
    end
    local views = {}
    for _, project in ipairs(result.projects or {}) do
      for _, view in ipairs(project.views or {}) do
        view.dialect = project.dialect
        if not datasource or view.datasource == datasource then
          table.insert(views, view)
        end
      end
    end
    if #views == 0 then
      return notify(datasource and ("no materialized view writes into " .. datasource)
        or "no materialized view in this project", vim.log.levels.WARN)
    end
    local function is_current(v)
      if v.uri == uri then
        return true
      end
      for _, w in ipairs(v.writers) do
        if uri:sub(-#w.path - 1) == "/" .. w.path then
          return true
        end
      end
      return false
    end
    table.sort(views, function(a, b)
      local ca, cb = is_current(a), is_current(b)
      if ca ~= cb then
        return ca
      end
      return a.datasource < b.datasource
    end)

    local function ask_column(view, action)
      vim.ui.input({ prompt = "Column name: " }, function(name)
        if not name or name == "" then
          return
        end
        if not identifier(name) then
          return notify("`" .. name .. "` is not a column name", vim.log.levels.ERROR)
        end
        if vim.tbl_contains(view.columns, name) then
          return notify(view.datasource .. " already has a column " .. name, vim.log.levels.ERROR)
        end
        vim.ui.input({ prompt = "ClickHouse type: ", default = "String" }, function(ty)
          if not ty or vim.trim(ty) == "" then
            return
          end
          vim.ui.input({ prompt = "Expression: ", default = name }, function(expr)
            if not expr or vim.trim(expr) == "" then
              return
            end
            local req = {
              action = action,
              datasource = view.datasource,
              column = { name = name, type = vim.trim(ty), expression = vim.trim(expr) },
              uri = view.uri,
            }
            if #view.writers > 1 then
              req.node = view.writers[1].node
            end
            migrate(client, req, bufnr)
          end)
        end)
      end)
    end

    local function with_view(view)
      if view.dialect ~= "forward" then
        return ask_column(view, "add-column")
      end
      vim.ui.select({ "add-column", "forward-add-column" }, {
        prompt = "Add a column to " .. view.datasource .. ":",
        format_item = function(a)
          return a == "add-column" and "New datasource, backfill, repoint (safe)"
            or "In place with FORWARD_QUERY"
        end,
      }, function(action)
        if action then
          ask_column(view, action)
        end
      end)
    end

    if #views == 1 then
      return with_view(views[1])
    end
    vim.ui.select(views, {
      prompt = "Add a column to which materialized view?",
      format_item = function(v)
        local nodes = {}
        for _, w in ipairs(v.writers) do
          table.insert(nodes, w.node)
        end
        return v.datasource .. "  <- " .. table.concat(nodes, ", ")
      end,
    }, function(view)
      if view then
        with_view(view)
      end
    end)
  end, bufnr)
end

--- The lines of the graph buffer, and the file of each line.
function M.graph_lines(result)
  local lines, targets = {}, {}
  for _, g in ipairs(result.projects or {}) do
    table.insert(lines, "# " .. (g.root and vim.uri_to_fname(g.root) or "project") .. " (" .. g.dialect .. ")")
    local out, into = {}, {}
    for _, e in ipairs(g.edges) do
      out[e.from] = out[e.from] or {}
      table.insert(out[e.from], e)
      into[e.to] = into[e.to] or {}
      table.insert(into[e.to], e)
    end
    for _, n in ipairs(g.nodes) do
      table.insert(lines, string.format("%s (%s)  %s", n.name, n.kind, n.path))
      targets[#lines] = n.uri
      for _, e in ipairs(out[n.name] or {}) do
        table.insert(lines, "  " .. e.kind:gsub("_", " ") .. " " .. e.to)
      end
      for _, e in ipairs(into[n.name] or {}) do
        local verb = ({ reads = "read by", test_reads = "tested by", materializes_into = "materialized by",
          copies_into = "copied into by", sinks = "sunk by" })[e.kind] or e.kind
        table.insert(lines, "  " .. verb .. " " .. e.from)
      end
    end
    table.insert(lines, "")
  end
  return lines, targets
end

--- :TinybirdGraph: the project's dependency graph in a scratch buffer; <CR> on a resource
--- opens its file.
function M.graph()
  local bufnr = vim.api.nvim_get_current_buf()
  local client = client_for(bufnr)
  if not client then
    return notify("the language server is not running", vim.log.levels.ERROR)
  end
  request(client, "tinybird/graph", { uri = vim.uri_from_bufnr(bufnr) }, function(err, result)
    if err then
      return notify(err.message, vim.log.levels.ERROR)
    end
    local lines, targets = M.graph_lines(result)
    vim.cmd("botright new")
    local buf = vim.api.nvim_get_current_buf()
    vim.bo[buf].buftype = "nofile"
    vim.bo[buf].bufhidden = "wipe"
    vim.bo[buf].swapfile = false
    pcall(vim.api.nvim_buf_set_name, buf, "tinybird://graph")
    vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
    vim.bo[buf].modifiable = false
    vim.bo[buf].filetype = "tinybirdgraph"
    vim.keymap.set("n", "<CR>", function()
      local target = targets[vim.api.nvim_win_get_cursor(0)[1]]
      if target then
        vim.cmd("wincmd p")
        vim.cmd.edit(vim.fn.fnameescape(vim.uri_to_fname(target)))
      end
    end, { buffer = buf, desc = "Open the resource's file" })
  end, bufnr)
end

--- The lines of the plan buffer: each project's plan as the server words it, or why it has none.
function M.plan_lines(result)
  local lines = {}
  local projects = result.projects or {}
  if #projects == 0 then
    return { "No Tinybird project in this workspace yet." }
  end
  for _, p in ipairs(projects) do
    local root = p.root and p.root ~= vim.NIL and vim.uri_to_fname(p.root) or "this project"
    if #projects > 1 then
      table.insert(lines, "# " .. root)
      table.insert(lines, "")
    end
    if type(p.text) == "string" then
      vim.list_extend(lines, vim.split(p.text, "\n", { plain = true, trimempty = true }))
    else
      local note = type(p.note) == "string" and p.note or "no base version"
      table.insert(lines, "No deploy plan for " .. root .. ": " .. note .. ".")
    end
    table.insert(lines, "")
  end
  return lines
end

--- :TinybirdPlan: what deploying the files does to the deployed version (the git base the
--- server reads), in a scratch buffer.
function M.plan(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  local client = client_for(bufnr) or client_for(vim.api.nvim_get_current_buf())
  if not client then
    return notify("the language server is not running", vim.log.levels.ERROR)
  end
  request(client, "tinybird/plan", { uri = vim.uri_from_bufnr(bufnr) }, function(err, result)
    if err then
      return notify(err.message, vim.log.levels.ERROR)
    end
    local lines = M.plan_lines(result)
    local existing = vim.fn.bufnr("tinybird://plan")
    if existing > 0 then
      vim.api.nvim_buf_delete(existing, { force = true })
    end
    vim.cmd("botright new")
    local buf = vim.api.nvim_get_current_buf()
    vim.bo[buf].buftype = "nofile"
    vim.bo[buf].bufhidden = "wipe"
    vim.bo[buf].swapfile = false
    pcall(vim.api.nvim_buf_set_name, buf, "tinybird://plan")
    vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
    vim.bo[buf].modifiable = false
    vim.bo[buf].filetype = "markdown"
  end, bufnr)
end

return M
