// binary-parser ships typings that its package.json "exports" map does not expose to
// NodeNext resolution; point the bare specifier at them.
declare module 'binary-parser' {
  export { Parser } from 'binary-parser/dist/binary_parser.js';
}
