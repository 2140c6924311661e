import {
  AbortError,
  AsynxError,
  CommandFailedError,
  ConfigError,
  InvalidArgumentError,
  NotFoundError,
  QueueFullError,
  ShardCrashedError,
  ShuttingDownError,
  StorageError,
  UnknownCommandError,
  ValidationError,
  isAsynxError,
} from '../dist/src/index.js';
import { fromWire, toWire } from '../dist/src/errors.js';

const classes = [
  [ValidationError, 'VALIDATION_FAILED'],
  [NotFoundError, 'NOT_FOUND'],
  [CommandFailedError, 'COMMAND_FAILED'],
  [QueueFullError, 'QUEUE_FULL'],
  [ShuttingDownError, 'SHUTTING_DOWN'],
  [AbortError, 'ABORTED'],
  [ShardCrashedError, 'SHARD_CRASHED'],
  [UnknownCommandError, 'UNKNOWN_COMMAND'],
  [ConfigError, 'CONFIG_INVALID'],
  [StorageError, 'STORAGE_FAILED'],
  [InvalidArgumentError, 'INVALID_ARGUMENT'],
] as const;

describe('error classes', () => {
  it.each(classes)('%p has code %p and survives the thread boundary as plain data', (ErrorClass, code) => {
    const original = new ErrorClass('order ORD-1: total must be > 0', { field: 'total' });
    expect(original).toBeInstanceOf(AsynxError);
    expect(original.code).toBe(code);
    expect(original.name).toBe(ErrorClass.name);
    const wire = structuredClone(toWire(original));
    const rebuilt = fromWire(wire);
    expect(rebuilt).toBeInstanceOf(ErrorClass);
    expect(rebuilt).toMatchObject({ code, name: ErrorClass.name, message: original.message, details: { field: 'total' } });
    expect(rebuilt.stack).toBe(original.stack);
    expect(isAsynxError(rebuilt)).toBe(true);
  });

  it('tells whether an aborted or crashed command may have run', () => {
    expect(new AbortError('queued', { executed: false }).executed).toBe(false);
    expect(new AbortError('sent', { executed: 'unknown' }).executed).toBe('unknown');
    expect(new ShardCrashedError('died').executed).toBe('unknown');
  });

  it('does not mistake other errors for asynx errors', () => {
    expect(isAsynxError(new Error('x'))).toBe(false);
    expect(isAsynxError({ code: 'VALIDATION_FAILED' })).toBe(false);
    expect(isAsynxError(null)).toBe(false);
  });
});
