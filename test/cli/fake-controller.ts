// A stand-in for a controller's gRPC service: canned answers per method, every request recorded,
// and optionally "not the active controller" for everything, so the admin commands can be run
// as a user runs them without a cluster.
import * as grpc from '@grpc/grpc-js';
import { type ControllerMethod, type RequestOf, type ResponseOf, controllerService } from '../../src/metadata/controller-service.js';

export type Canned = { [K in ControllerMethod]?: (request: RequestOf<K>) => ResponseOf<K> };

export class FakeController {
  readonly requests: { method: ControllerMethod; request: unknown }[] = [];
  canned: Canned = {};

  private constructor(private readonly server: grpc.Server, readonly address: string, private readonly notController: boolean) {}

  /** `notController`: answer NOT_CONTROLLER to every request, as a follower controller does. */
  static async start(notController = false): Promise<FakeController> {
    const server = new grpc.Server();
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    const fake = new FakeController(server, `127.0.0.1:${port}`, notController);
    server.addService(controllerService, fake.handlers());
    return fake;
  }

  private handlers(): grpc.UntypedServiceImplementation {
    const handlers: grpc.UntypedServiceImplementation = {};
    for (const method of Object.keys(controllerService) as ControllerMethod[]) {
      handlers[method] = (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        this.requests.push({ method, request: call.request });
        if (this.notController) return callback(null, { error: { code: 'NOT_CONTROLLER', message: 'not the active controller', leaderId: 0 } });
        const answer = this.canned[method] as ((r: unknown) => unknown) | undefined;
        if (!answer) return callback({ code: grpc.status.UNIMPLEMENTED, details: `no canned ${method}` } as grpc.ServiceError, null);
        callback(null, answer(call.request));
      };
    }
    return handlers;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.tryShutdown(() => resolve()));
  }
}
