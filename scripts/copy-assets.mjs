// tsc emits only .js: copy every other file under src/ (SQL migrations, console assets) to the
// same place under dist/src/ so the built app finds them next to its code.
import { cpSync, existsSync } from 'node:fs';

if (existsSync('src')) cpSync('src', 'dist/src', { recursive: true, filter: (src) => !/\.tsx?$/.test(src) });
