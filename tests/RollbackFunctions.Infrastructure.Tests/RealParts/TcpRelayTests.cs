using System.Net;
using System.Net.Sockets;
using System.Text;

namespace RollbackFunctions.Infrastructure.Tests.RealParts;

/// <summary>
/// The relay that stands in for a network outage to storage. While cut it must keep its port: a
/// port it let go was taken by another connection of the same test run (a kernel-chosen local
/// port), and the restore then failed with "address already in use".
/// </summary>
public sealed class TcpRelayTests
{
    [Fact]
    public async Task Cut_RefusesConnections_KeepsThePort_AndRestoreRelaysAgain()
    {
        using var server = new TcpListener(IPAddress.Loopback, 0);
        server.Start();
        var echo = EchoOnceAsync(server);
        await using var relay = new TcpRelay(((IPEndPoint)server.LocalEndpoint).Port);

        relay.Cut();
        using (var squatter = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            var taken = Assert.Throws<SocketException>(() => squatter.Bind(new IPEndPoint(IPAddress.Loopback, relay.Port)));
            Assert.Equal(SocketError.AddressAlreadyInUse, taken.SocketErrorCode);
        }

        Assert.False(await RelaysAsync(relay.Port).WaitAsync(TimeSpan.FromSeconds(10)), "a cut relay carried a connection");

        relay.Restore();
        Assert.True(await RelaysAsync(relay.Port).WaitAsync(TimeSpan.FromSeconds(10)), "the restored relay did not carry the connection");
        await echo.WaitAsync(TimeSpan.FromSeconds(10));
    }

    private static async Task<bool> RelaysAsync(int port)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port);
            var stream = client.GetStream();
            await stream.WriteAsync("ping"u8.ToArray());
            var buffer = new byte[4];
            var read = 0;
            while (read < buffer.Length && await stream.ReadAsync(buffer.AsMemory(read)) is var n && n > 0)
            {
                read += n;
            }

            return Encoding.ASCII.GetString(buffer, 0, read) == "ping";
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            return false;
        }
    }

    private static async Task EchoOnceAsync(TcpListener server)
    {
        using var client = await server.AcceptTcpClientAsync();
        var stream = client.GetStream();
        var buffer = new byte[4];
        var read = 0;
        while (read < buffer.Length && await stream.ReadAsync(buffer.AsMemory(read)) is var n && n > 0)
        {
            read += n;
        }

        await stream.WriteAsync(buffer.AsMemory(0, read));
    }
}
