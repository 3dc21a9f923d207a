var fs = require('fs');

// cmd-shim's shape: the continuation's last act hands `cb` to another
// err-first function of the same file (itself convertible).
function shim(from, to, cb) {
  fs.stat(from, function (er, stat) {
    if (er) return cb(er);
    writeShim(from, to, cb);
  });
}

function writeShim(from, to, cb) {
  fs.writeFile(to, '#!/bin/sh\nexec ' + from + '\n', function (er) {
    if (er) return cb(er);
    cb(null, to);
  });
}

module.exports = { shim, writeShim };
