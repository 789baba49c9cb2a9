// Makes protobufjs decode 64-bit integers as plain JavaScript numbers instead of `Long` objects.
// pbjs --force-number is not enough while the `long` package is installed: protobufjs picks Long up
// by itself, and the generated code reads `util.Long` once, when its module is evaluated (default
// field values). So this must run before src/gen/*.js is evaluated; ESM evaluates imports in
// order, which is why every module that imports generated code imports this module first.
// Values of 2^53 and above lose precision as numbers; the codec rejects them as unsafe integers.
import $protobuf from 'protobufjs/minimal.js';

$protobuf.util.Long = undefined as never;
$protobuf.configure();
