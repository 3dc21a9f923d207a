#!/usr/bin/env node
// Development launcher kept for scripts and tests in this repository: the
// migration CLI lives in the asyncio-ts-codemods workspace package (codemods/).
import "../codemods/bin/asyncio-ts-codemods.js";
