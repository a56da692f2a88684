using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using RollbackFunctions.Infrastructure.Storage;

namespace RollbackFunctions.Integration.Tests.Api;

/// <summary>
/// Replays <c>fixtures/hostile/corpus.jsonl</c> (written by its <c>generate.py</c>) against the local
/// runtime with keys: every reply a 4xx problem, never a 5xx, nothing stored, and the process
/// healthy at the end. Revert webhooks may only reach a host no case names, so an SSRF target that
/// slipped through validation would be stored and fail the test.
/// </summary>
public sealed class HostileCorpusTests
{
    private static readonly Dictionary<string, string?> Secrets = new()
    {
        ["ci"] = AccessApiTests.CiSecret,
        ["alerts"] = AccessApiTests.AlertsSecret,
        ["operator"] = AccessApiTests.OncallSecret,
        ["reader"] = AccessApiTests.ReaderSecret,
        ["wrong"] = "not-a-key-0123456789abcdef0123456789abcdef",
        ["none"] = null,
    };

    [SkippableFact]
    public async Task EveryHostileRequest_GetsA4xxProblem_AndNothingIsWritten()
    {
        await using var runtime = await TestRuntime.StartAsync(
        [
            "Rollback:Executors:Webhook:AllowedHosts:0=revert.internal.example",
            "Rollback:Executors:Webhook:AllowedHosts:1=revert.internal.example", // the local settings' second entry is localhost
            .. AccessApiTests.KeySettings,
        ]);
        var cases = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "fixtures", "hostile", "corpus.jsonl"))
            .Select(line => JsonNode.Parse(line)!.AsObject())
            .ToList();
        var before = await RowsAsync(runtime);

        var failures = new List<string>();
        foreach (var hostile in cases)
        {
            using var request = RequestOf(hostile, runtime.Http.BaseAddress!);
            using var reply = await runtime.Http.SendAsync(request);
            var status = (int)reply.StatusCode;
            var media = reply.Content.Headers.ContentType?.MediaType;
            if (status is < 400 or >= 500 || media != "application/problem+json")
            {
                failures.Add($"{hostile["name"]}: {status} {media} {Shorten(await reply.Content.ReadAsStringAsync())}");
            }
        }

        Assert.True(cases.Count >= 200, $"{cases.Count} cases");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.Equal(before, await RowsAsync(runtime));
        using var health = await runtime.Http.GetAsync("/api/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    private static HttpRequestMessage RequestOf(JsonObject hostile, Uri server)
    {
        // Paths are sent as written: no dot-segment clean-up, no re-encoding.
        var request = new HttpRequestMessage(new HttpMethod(hostile["method"]!.GetValue<string>()), new Uri($"{server.GetLeftPart(UriPartial.Authority)}{hostile["path"]!.GetValue<string>()}", new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true }));
        if (Secrets[hostile["key"]!.GetValue<string>()] is { } secret)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", secret);
        }

        var body = hostile["body"] switch
        {
            null => null,
            JsonObject repeat => string.Concat(Enumerable.Repeat(repeat["repeat"]!.GetValue<string>(), repeat["times"]!.GetValue<int>())),
            var text => text.GetValue<string>(),
        };
        if (body is not null)
        {
            request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
            if (hostile["contentType"]?.GetValue<string>() is { } contentType)
            {
                request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            }
        }

        return request;
    }

    /// <summary>Rows in every product table: a rejected request must not add one.</summary>
    private static async Task<Dictionary<string, int>> RowsAsync(TestRuntime runtime)
    {
        var tables = runtime.Services.GetRequiredService<StorageTables>();
        var counts = new Dictionary<string, int>();
        foreach (var table in new[] { tables.Deploys, tables.Rollbacks, tables.Alerts, tables.Audit })
        {
            var rows = 0;
            await foreach (var _ in table.QueryAsync<TableEntity>(select: ["PartitionKey"]))
            {
                rows++;
            }

            counts[table.Name] = rows;
        }

        return counts;
    }

    private static string Shorten(string text) => text.Length <= 300 ? text : text[..300] + "…";
}
