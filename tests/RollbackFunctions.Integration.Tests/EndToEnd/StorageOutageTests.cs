using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using RollbackFunctions.Core.Deploys;
using System.Text.RegularExpressions;

namespace RollbackFunctions.Integration.Tests.EndToEnd;

/// <summary>
/// Storage goes away while alerts arrive: every request is answered 503 with Retry-After (the
/// senders retry), never 2xx for an alert that was not stored. Storage comes back: the retried
/// alert is accepted and the rollback runs to the end on the same, never restarted, runtime.
/// </summary>
[StartsFirst]
public sealed class StorageOutageTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [SkippableFact]
    public async Task StorageDown_Answers503WithRetryAfter_WhenItReturns_TheRetriedAlertRollsBack()
    {
        // The runtime reaches the shared Azurite through relays the test cuts: the network to
        // storage fails, as it does in a zone outage, and the storage itself keeps its data.
        var direct = await SharedAzurite.ConnectionStringAsync();
        var relays = new List<TcpRelay>();
        var relayed = Regex.Replace(direct, @"127\.0\.0\.1:(\d+)", m =>
        {
            relays.Add(new TcpRelay(int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)));
            return $"127.0.0.1:{relays[^1].Port}";
        });
        await using var receiver = await LocalReceiver.StartAsync();
        var runtime = await TestRuntime.StartAsync(
            $"Rollback:Storage:ConnectionString={relayed}",
            "Rollback:Durable:VisibilityTimeout=00:00:03");
        try
        {
            var id = $"outage-{Guid.NewGuid():N}"[..20];
            Assert.Equal(HttpStatusCode.Created, (await runtime.PostJsonAsync("/api/deploys", Payloads.DiamondDeploy(id, receiver, service: "outage"))).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await runtime.PostJsonAsync($"/api/deploys/{id}/complete", "{}")).StatusCode);
            var firing = Payloads.AlertmanagerFiring("outage", "prod");

            var clock = System.Diagnostics.Stopwatch.StartNew();
            relays.ForEach(relay => relay.Cut());
            using (var refused = await runtime.PostJsonAsync("/api/alerts/alertmanager", firing))
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
                Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
                Assert.True(refused.Headers.RetryAfter?.Delta > TimeSpan.Zero, "a 503 says when to retry");
            }

            using (var registration = await runtime.PostJsonAsync("/api/deploys", Payloads.DiamondDeploy($"{id}-2", receiver, service: "outage")))
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, registration.StatusCode);
            }

            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await runtime.Http.GetAsync("/api/health")).StatusCode);
            Assert.Empty(receiver.Received);

            output.WriteLine($"503s answered by {clock.Elapsed.TotalSeconds:0.0} s");
            relays.ForEach(relay => relay.Restore());
            output.WriteLine($"storage back at {clock.Elapsed.TotalSeconds:0.0} s");
            // Alertmanager retries the notification; this time it is stored and acted on.
            var last = "";
            var accepted = await Eventually.ReturnsAsync(
                async () =>
                {
                    using var response = await runtime.PostJsonAsync("/api/alerts/alertmanager", firing);
                    last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
                    return response.StatusCode == HttpStatusCode.Accepted ? await response.Content.ReadFromJsonAsync<JsonObject>() : null;
                },
                TimeSpan.FromSeconds(30),
                () => $"the alert was never accepted after storage returned; last reply {last}",
                TimeSpan.FromSeconds(1));
            output.WriteLine($"alert accepted at {clock.Elapsed.TotalSeconds:0.0} s");
            Assert.True(accepted["deploys"]![0]!["started"]!.GetValue<bool>());

            await receiver.WaitForAsync(r => r.Any(x => x.Path == "schema"), TimeSpan.FromSeconds(60), "every revert after the outage");
            Assert.Equal(HttpStatusCode.Accepted, (await runtime.PostJsonAsync("/api/alerts/alertmanager", Payloads.Resolved(firing))).StatusCode);
            var phase = await Eventually.ReturnsAsync(
                async () => (await runtime.Http.GetFromJsonAsync<JsonObject>($"/api/rollbacks/{Identifiers.RollbackIdFor(id)}"))!["phase"]!.GetValue<string>() is var p && p is "succeeded" or "failed" ? p : null,
                TimeSpan.FromSeconds(60),
                () => "the rollback did not finish");
            output.WriteLine($"rollback {phase} at {clock.Elapsed.TotalSeconds:0.0} s");
            Assert.Equal("succeeded", phase);
            // Each layer reverted once, in reverse order (config and flags are independent).
            var paths = receiver.Paths;
            Assert.Equal(4, paths.Count);
            Assert.Equal("rollout", paths[0]);
            Assert.Equal(["config", "flags"], paths.Skip(1).Take(2).Order());
            Assert.Equal("schema", paths[3]);
        }
        finally
        {
            // The runtime stops first, while it still reaches storage: cut off, its handover would
            // wait out its whole bound (drain and a visibility timeout) before giving up.
            await runtime.DisposeAsync();
            foreach (var relay in relays)
            {
                await relay.DisposeAsync();
            }
        }
    }
}
