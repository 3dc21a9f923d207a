var fs = require('fs');

// JSON.stringify throws synchronously (BigInt, cycles) before any I/O starts:
// callers get the exception from the call itself, not through the callback.
function writeJson(file, value, cb) {
  fs.writeFile(file, JSON.stringify(value), function (err) {
    if (err) return cb(err);
    cb(null);
  });
}

module.exports = { writeJson };
