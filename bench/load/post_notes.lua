-- wrk script: POST /notes with a distinct note id per request (so every request maps,
-- validates and stores a new note). NB_NOTE_FILE names the note template (its id is the
-- placeholder __NOTE_ID__, the client's __CLIENT_ID__), NB_KEY the API key.
local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  local file = assert(io.open(os.getenv("NB_NOTE_FILE"), "rb"))
  template = file:read("*a")
  file:close()
  prefix = "B" .. os.time() .. "-" .. tid .. "-"
  counter = 0
  headers = {["X-API-Key"] = os.getenv("NB_KEY"), ["Content-Type"] = "application/json"}
end

function request()
  counter = counter + 1
  -- A client has a few notes, as in a practice: one client per 10 notes.
  local body = template:gsub("__NOTE_ID__", prefix .. counter, 1)
  body = body:gsub("__CLIENT_ID__", prefix .. "c" .. math.floor(counter / 10), 1)
  return wrk.format("POST", "/notes", headers, body)
end
