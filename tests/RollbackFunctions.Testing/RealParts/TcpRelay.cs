using System.Net;
using System.Net.Sockets;

namespace RollbackFunctions.Testing;

/// <summary>
/// A loopback TCP relay in front of a real server, which a test can cut and restore: a network
/// outage between the product and its storage, without stopping (and risking the data of) the
/// storage itself. While cut, open connections are reset and new ones are reset as soon as they
/// connect. The relay listens on its port from start to dispose: a port let go during a cut can be
/// taken by any other connection of the run (the kernel picks local ports from the same range), and
/// the restore then fails.
/// </summary>
public sealed class TcpRelay : IAsyncDisposable
{
    private volatile int target;
    private readonly List<TcpClient> open = [];
    private readonly TcpListener listener;
    private readonly CancellationTokenSource stopping = new();
    private volatile bool cut;

    public TcpRelay(int targetPort)
    {
        target = targetPort;
        listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        Port = ((IPEndPoint)listener.LocalEndpoint).Port;
        _ = AcceptAsync();
    }

    public int Port { get; }

    /// <summary>The port relayed to; a server started again elsewhere is reached at the same <see cref="Port"/>.</summary>
    public int Target
    {
        get => target;
        set => target = value;
    }

    public void Cut()
    {
        cut = true;
        lock (open)
        {
            open.ForEach(Reset);
            open.Clear();
        }
    }

    public void Restore() => cut = false;

    public ValueTask DisposeAsync()
    {
        Cut();
        stopping.Cancel();
        listener.Stop();
        return ValueTask.CompletedTask;
    }

    /// <summary>Closes with a reset, as a dropped network would, rather than an orderly close.</summary>
    private static void Reset(TcpClient client)
    {
        try
        {
            client.Client.LingerState = new LingerOption(true, 0);
        }
        catch (Exception e) when (e is ObjectDisposedException or SocketException or NullReferenceException)
        {
            // already closed by its other side
        }

        client.Dispose();
    }

    private async Task AcceptAsync()
    {
        var cancellationToken = stopping.Token;
        while (!cancellationToken.IsCancellationRequested)
        {
            TcpClient inbound;
            try
            {
                inbound = await listener.AcceptTcpClientAsync(cancellationToken);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException || cancellationToken.IsCancellationRequested)
            {
                return; // disposed
            }
            catch (SocketException)
            {
                // One failed accept (too many open files, a connection reset in the backlog) must
                // not leave the port listening with nobody accepting.
                await Task.Delay(50, CancellationToken.None);
                continue;
            }

            if (cut)
            {
                Reset(inbound);
                continue;
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
                if (cut) // cut while this one was connecting
                {
                    Reset(inbound);
                    Reset(outbound);
                    continue;
                }

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
