using System.Net;
using System.Net.Sockets;

namespace RollbackFunctions.Testing;

/// <summary>
/// A loopback TCP relay in front of a real server, which a test can cut and restore: a network
/// outage between the product and its storage, without stopping (and risking the data of) the
/// storage itself. While cut, open connections are reset and new ones refused.
/// </summary>
public sealed class TcpRelay : IAsyncDisposable
{
    private readonly int target;
    private readonly List<TcpClient> open = [];
    private TcpListener? listener;
    private CancellationTokenSource? accepting;

    public TcpRelay(int targetPort)
    {
        target = targetPort;
        Port = SharedAzurite.FreePort();
        Restore();
    }

    public int Port { get; }

    public void Cut()
    {
        accepting?.Cancel();
        listener?.Stop();
        listener = null;
        lock (open)
        {
            foreach (var client in open)
            {
                try
                {
                    client.Client.LingerState = new LingerOption(true, 0); // reset, as a dropped network would
                }
                catch (Exception e) when (e is ObjectDisposedException or SocketException or NullReferenceException)
                {
                    // already closed by its other side
                }

                client.Dispose();
            }

            open.Clear();
        }
    }

    public void Restore()
    {
        // The same port again: connections reset by the cut may still hold it for a moment.
        for (var attempt = 1; ; attempt++)
        {
            listener = new TcpListener(IPAddress.Loopback, Port);
            listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            try
            {
                listener.Start();
                break;
            }
            catch (SocketException) when (attempt < 50)
            {
                listener.Dispose();
                Thread.Sleep(100);
            }
        }

        accepting = new CancellationTokenSource();
        _ = AcceptAsync(listener, accepting.Token);
    }

    public ValueTask DisposeAsync()
    {
        Cut();
        return ValueTask.CompletedTask;
    }

    private async Task AcceptAsync(TcpListener server, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            TcpClient inbound;
            try
            {
                inbound = await server.AcceptTcpClientAsync(cancellationToken);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            var outbound = new TcpClient();
            try
            {
                await outbound.ConnectAsync(IPAddress.Loopback, target, cancellationToken);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException)
            {
                inbound.Dispose();
                outbound.Dispose();
                continue;
            }

            lock (open)
            {
                open.Add(inbound);
                open.Add(outbound);
            }

            _ = PumpAsync(inbound, outbound);
            _ = PumpAsync(outbound, inbound);
        }
    }

    private static async Task PumpAsync(TcpClient from, TcpClient to)
    {
        try
        {
            await from.GetStream().CopyToAsync(to.GetStream());
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or SocketException or InvalidOperationException)
        {
            // the relay was cut, or one side closed
        }
        finally
        {
            from.Dispose();
            to.Dispose();
        }
    }
}
