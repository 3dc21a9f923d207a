'use strict';
var fs = require('fs');
var path = require('path');

// The pyramid as real code writes it: every continuation calls its error
// `err` (cmd-shim's writeShim uses `er` three levels deep). Only the data
// parameters survive the conversion, so the repeated error name collides
// with nothing.
function copyFile(src, dest, cb) {
  fs.readFile(src, function (err, data) {
    if (err) return cb(err);
    fs.mkdir(path.dirname(dest), { recursive: true }, function (err) {
      if (err) return cb(err);
      fs.writeFile(dest, data, function (err) {
        if (err) return cb(err);
        cb(null, data.length);
      });
    });
  });
}

module.exports = { copyFile };
