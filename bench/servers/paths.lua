-- wrk: ask bench/servers/endpoints.py's PATHS in turn
local paths = {"/items/40", "/compute/3000", "/users/7"}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1])
end
