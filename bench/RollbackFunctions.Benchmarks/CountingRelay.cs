using System.Net;
using System.Net.Sockets;
using System.Text;

/// <summary>
/// A loopback TCP relay in front of one Azurite service that counts the HTTP requests passing
/// through: the storage transactions the runtime makes (an entity-group batch counts once, as Azure
/// bills it). A request is a request line ("... HTTP/1.1\r\n") in the client-to-server stream.
/// </summary>
internal sealed class CountingRelay : IAsyncDisposable
{
    private static readonly byte[] RequestLineEnd = Encoding.ASCII.GetBytes(" HTTP/1.1\r\n");
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource stop = new();
    private readonly int target;
    private long requests;

    public CountingRelay(int targetPort)
    {
        target = targetPort;
        listener.Start();
        _ = AcceptAsync();
    }

    public int Port => ((IPEndPoint)listener.LocalEndpoint).Port;

    public long Requests => Interlocked.Read(ref requests);

    private async Task AcceptAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = RelayAsync(client);
        }
    }

    private async Task RelayAsync(TcpClient client)
    {
        using (client)
        using (var server = new TcpClient())
        {
            try
            {
                await server.ConnectAsync(IPAddress.Loopback, target, stop.Token);
                await Task.WhenAny(PumpAsync(client.GetStream(), server.GetStream(), count: true), PumpAsync(server.GetStream(), client.GetStream(), count: false));
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // a connection closed: nothing to count
            }
        }
    }

    private async Task PumpAsync(NetworkStream from, NetworkStream to, bool count)
    {
        var buffer = new byte[64 * 1024];
        var matched = 0; // bytes of RequestLineEnd matched so far, across reads
        int read;
        while ((read = await from.ReadAsync(buffer, stop.Token)) > 0)
        {
            if (count)
            {
                for (var i = 0; i < read; i++)
                {
                    matched = buffer[i] == RequestLineEnd[matched] ? matched + 1 : buffer[i] == RequestLineEnd[0] ? 1 : 0;
                    if (matched == RequestLineEnd.Length)
                    {
                        Interlocked.Increment(ref requests);
                        matched = 0;
                    }
                }
            }

            await to.WriteAsync(buffer.AsMemory(0, read), stop.Token);
        }
    }

    public ValueTask DisposeAsync()
    {
        stop.Cancel();
        listener.Stop();
        stop.Dispose();
        return ValueTask.CompletedTask;
    }
}
