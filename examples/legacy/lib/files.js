'use strict';
// A small legacy library in the style of 2014 Node code: every function takes
// an err-first callback as its last argument. examples/migrate-demo.ts runs
// `asyncio-ts migrate` over a copy of it.
var fs = require('fs');
var path = require('path');

// Reads a text file.
function readText(file, cb) {
  fs.readFile(file, 'utf8', function (err, text) {
    if (err) return cb(err);
    cb(null, text);
  });
}

// Reads and parses a JSON file; a parse error goes to the callback too.
function readJson(file, cb) {
  readText(file, function (err, text) {
    if (err) return cb(err);
    var data;
    try {
      data = JSON.parse(text);
    } catch (e) {
      return cb(e);
    }
    cb(null, data);
  });
}

// Writes a value as pretty JSON.
function writeJson(file, value, cb) {
  fs.writeFile(file, JSON.stringify(value, null, 2) + '\n', function (err) {
    if (err) return cb(err);
    cb(null);
  });
}

// The pyramid: read the source, make the target's folder, write the copy,
// then stat it to report its size.
function copyFile(src, dest, cb) {
  fs.readFile(src, function (err, data) {
    if (err) return cb(err);
    fs.mkdir(path.dirname(dest), { recursive: true }, function (err) {
      if (err) return cb(err);
      fs.writeFile(dest, data, function (err) {
        if (err) return cb(err);
        fs.stat(dest, function (err, stat) {
          if (err) return cb(err);
          cb(null, stat.size);
        });
      });
    });
  });
}

// Parallel with a counter: stats every file at once and calls back once,
// with the total or with the first error.
function totalSize(files, cb) {
  var pending = files.length;
  var total = 0;
  var failed = false;
  if (pending === 0) {
    return process.nextTick(function () {
      cb(null, 0);
    });
  }
  files.forEach(function (file) {
    fs.stat(file, function (err, stat) {
      if (failed) return;
      if (err) {
        failed = true;
        return cb(err);
      }
      total += stat.size;
      if (--pending === 0) cb(null, total);
    });
  });
}

// Uses copyFile: a call site of our own callback API.
function backup(src, backupDir, cb) {
  var dest = path.join(backupDir, path.basename(src) + '.bak');
  copyFile(src, dest, function (err, size) {
    if (err) return cb(err);
    cb(null, { file: dest, size: size });
  });
}

// Cached reads: a cache hit calls back synchronously, a miss asynchronously
// ("zalgo"). Converting it changes when callers run: `--assume none` leaves it
// alone and says why (ZALGO); the default profile converts it and records the
// assumption (CALLBACK_NOW_ASYNC: the callback is called on a later tick).
var cache = {};
function cachedRead(file, cb) {
  if (cache[file] !== undefined) return cb(null, cache[file]);
  readText(file, function (err, text) {
    if (err) return cb(err);
    cache[file] = text;
    cb(null, text);
  });
}

module.exports = {
  readText: readText,
  readJson: readJson,
  writeJson: writeJson,
  copyFile: copyFile,
  totalSize: totalSize,
  backup: backup,
  cachedRead: cachedRead
};
