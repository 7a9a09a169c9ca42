import { EngineError } from '../../server/engine/client';

/**
 * Which engine answers may be retried as they are: the engine rolled its transaction back whole.
 * On MariaDB a deadlock between two engine transactions (an instance cancelled while a worker
 * locks its external task) reaches the REST API only as a 500 ProcessEnginePersistenceException.
 */
describe('EngineError.concurrentChange', () => {
  test.each([
    [409, 'OptimisticLockingException', true],
    [500, 'OptimisticLockingException', true],
    [500, 'ProcessEnginePersistenceException', true],
    [400, 'ProcessEnginePersistenceException', false],
    [500, 'NullPointerException', false],
    [404, 'InvalidRequestException', false],
    [0, 'UNREACHABLE', false],
  ])('%i %s → %s', (status, type, retry) => {
    expect(new EngineError(status, type, 'x').concurrentChange).toBe(retry);
  });
});
