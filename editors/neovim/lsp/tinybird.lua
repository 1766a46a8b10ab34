-- Neovim 0.11+: `vim.lsp.enable("tinybird")` starts tinybird-lsp for Tinybird files.
-- Override any field with `vim.lsp.config("tinybird", { ... })`; settings go in `init_options`
-- (see docs/configuration.md), e.g. `init_options = { rules = { ["unknown-table"] = "error" } }`.
return require("tinybird").config()
