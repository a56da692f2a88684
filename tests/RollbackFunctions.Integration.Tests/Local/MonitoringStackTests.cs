using System.Net;
using System.Net.Sockets;
using RollbackFunctions.Local.Demo;

namespace RollbackFunctions.Integration.Tests.Local;

/// <summary>
/// The fire drill's Prometheus address is given to the runtime seconds before Prometheus starts. A
/// port only found free then could be taken meanwhile by any connection of another program (review
/// finding): the drill holds it until it hands it to Prometheus.
/// </summary>
public sealed class MonitoringStackTests
{
    [Fact]
    public async Task Plan_HoldsPrometheusPort_UntilPrometheusStarts()
    {
        await using var stack = MonitoringStack.Plan();

        using var squatter = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var taken = Assert.Throws<SocketException>(() => squatter.Bind(new IPEndPoint(IPAddress.Loopback, new Uri(stack.PrometheusUrl).Port)));
        Assert.Equal(SocketError.AddressAlreadyInUse, taken.SocketErrorCode);
    }
}
