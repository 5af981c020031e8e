import KDKernel
import KDProtocol

/// Routes a decoded request to its handler: the only switch over operations on the server.
enum RequestDispatcher {
  static func handler(for body: Manipulate) -> (any RequestHandler)? {
    body.body as? any RequestHandler
  }
}
