using System.Text.Json.Nodes;
using RollbackFunctions.Core.Deploys;

namespace RollbackFunctions.Integration.Tests.Api;

/// <summary>
/// The ops page in headless Chromium against a running rollback: the deploy list with its gate,
/// the step graph coloured by status, the evidence, the approval waiting with the calls to make,
/// and the page refreshing itself until the rollback ends. The screenshot in docs/ is taken here.
/// </summary>
public sealed class OpsPageTests
{
    [SkippableFact]
    public async Task RunningRollback_ShowsGraphEvidenceAndApproval_ThenRefreshesToTheEnd()
    {
        await using var browser = await HeadlessChromium.StartAsync();
        await browser.WatchPolicyViolationsAsync();
        await using var receiver = await LocalReceiver.StartAsync();
        await using var runtime = await TestRuntime.StartAsync();
        var id = $"checkout-{Guid.NewGuid():N}"[..24];
        var deploy = Payloads.DiamondDeploy(id, receiver);
        deploy["steps"]![0]!["revert"] = new JsonObject { ["mode"] = "approval" }; // the schema waits for an operator
        await AlertIntakeApiTests.RegisterCompletedAsync(runtime, deploy);
        var alert = Payloads.AlertmanagerFiring("checkout", "prod");
        alert["alerts"]![1]!["generatorURL"] = "javascript:alert(document.domain)"; // whoever may send alerts chooses this text
        (await runtime.PostJsonAsync("/api/alerts/alertmanager", alert)).Dispose();
        var rollbackId = Identifiers.RollbackIdFor(id);
        await OperatorApiTests.WaitForStepAsync(runtime, id, "schema", "awaitingApproval");
        var page = $"{runtime.Http.BaseAddress}api/ui";

        await browser.NavigateAsync(page);
        await browser.WaitForAsync($"document.querySelector('tr[data-deploy=\"{id}\"]')", TimeSpan.FromSeconds(20), "the deploy in the list");
        Assert.Equal("closed", (await browser.EvaluateAsync($"document.querySelector('tr[data-deploy=\"{id}\"] td:nth-child(6)').textContent"))!.GetValue<string>());
        Assert.True((await browser.EvaluateAsync($"!!document.querySelector('tr[data-rollback=\"{rollbackId}\"] a')"))!.GetValue<bool>());

        await browser.NavigateAsync($"{page}#rollback={rollbackId}");
        await browser.WaitForAsync("document.querySelectorAll('#graph g[data-step]').length === 4", TimeSpan.FromSeconds(20), "the step graph");
        var statuses = (await browser.EvaluateAsync("Object.fromEntries([...document.querySelectorAll('#graph g[data-step]')].map(g => [g.dataset.step, g.dataset.status + '@' + g.dataset.level]))"))!.AsObject();
        Assert.Equal("reverted@0", (string?)statuses["rollout"]);
        Assert.Equal("awaitingApproval@2", (string?)statuses["schema"]);
        Assert.Equal(4, (await browser.EvaluateAsync("document.querySelectorAll('#graph line[data-edge]').length"))!.GetValue<int>());
        // Keyless (loopback) every caller is an operator: the waiting step offers its buttons, and the rollback its abort.
        Assert.Equal(
            new[] { $"abort:{rollbackId}", $"approve:{rollbackId}:schema", $"reject:{rollbackId}:schema" },
            (await browser.EvaluateAsync("[...document.querySelectorAll('[data-action]')].map(b => b.dataset.action).sort()"))!.AsArray().Select(a => a!.GetValue<string>()));
        Assert.Contains("CheckoutErrorBudgetBurn", (await browser.EvaluateAsync("document.querySelector('#evidence').textContent"))!.GetValue<string>());
        Assert.Equal(new[] { "http" }, (await browser.EvaluateAsync("[...document.querySelectorAll('#evidence a')].map(a => new URL(a.href).protocol.replace(':', ''))"))!.AsArray().Select(p => p!.GetValue<string>()));
        Assert.Contains("awaitingApproval", (await browser.EvaluateAsync("document.querySelector('#timeline').textContent"))!.GetValue<string>());
        // docs/ops-page.png is this screenshot, written with ROLLBACK_WRITE_DOCS=1 (a run's timestamps would dirty the tree otherwise).
        var write = Environment.GetEnvironmentVariable(OpenApiDocumentTests.WriteSetting) == "1";
        var screenshot = write ? Path.Combine(Repo.Root, "docs", "ops-page.png") : Path.Combine(Path.GetTempPath(), $"ops-page-{Guid.NewGuid():N}.png");
        await browser.ScreenshotAsync(screenshot);
        Assert.True(new FileInfo(screenshot).Length > 10_000, "the screenshot is empty");
        if (!write)
        {
            File.Delete(screenshot);
        }

        // The operator approves and the alert resolves; the page, left alone, follows to the end.
        (await runtime.Http.PostAsync($"/api/rollbacks/{rollbackId}/steps/schema/approve", null)).Dispose();
        (await runtime.PostJsonAsync("/api/alerts/alertmanager", Payloads.Resolved(alert))).Dispose();
        await browser.WaitForAsync("document.querySelector('#summary .badge')?.textContent === 'succeeded'", TimeSpan.FromSeconds(60), "the rollback succeed");
        Assert.Equal("reverted", (await browser.EvaluateAsync("document.querySelector('#graph g[data-step=\"schema\"]').dataset.status"))!.GetValue<string>());
        Assert.True((await browser.EvaluateAsync("document.querySelectorAll('#verification [data-verdict]').length"))!.GetValue<int>() > 0);
        Assert.Null(await browser.EvaluateAsync("document.querySelector('#approvals')"));

        await browser.EvaluateAsync("document.getElementById('report-button').click()");
        await browser.WaitForAsync("document.getElementById('report-text').textContent.includes('# Rollback')", TimeSpan.FromSeconds(10), "the report");
        Assert.DoesNotContain(browser.Console, c => c.Contains("exceptionDetails", StringComparison.Ordinal) || c.Contains("Content Security Policy", StringComparison.Ordinal));
        Assert.Empty(await browser.PolicyViolationsAsync());
    }

    [SkippableFact]
    public async Task WithKeys_PageIsServedWithoutOne_UnderAStrictPolicy_AndAsksForAReaderKey()
    {
        const string secret = "op-0123456789abcdef0123456789abcdef";
        await using var runtime = await TestRuntime.StartAsync($"Rollback:Auth:Keys:ops:Secret={secret}", "Rollback:Auth:Keys:ops:Roles:0=reader");

        using var reply = await runtime.Http.GetAsync("/api/ui");

        Assert.Equal(System.Net.HttpStatusCode.OK, reply.StatusCode);
        Assert.Equal("text/html", reply.Content.Headers.ContentType!.MediaType);
        var policy = string.Join(";", reply.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'none'", policy);
        Assert.Contains("script-src 'sha256-", policy);
        Assert.DoesNotContain("unsafe", policy);
        Assert.Equal("nosniff", string.Join("", reply.Headers.GetValues("X-Content-Type-Options")));

        // In the browser: the API answers 401, the page asks for a key, and with it shows the lists.
        await using var browser = await HeadlessChromium.StartAsync();
        await browser.NavigateAsync($"{runtime.Http.BaseAddress}api/ui");
        await browser.WaitForAsync("getComputedStyle(document.getElementById('key')).display !== 'none'", TimeSpan.FromSeconds(20), "the key form");
        await browser.EvaluateAsync($"document.getElementById('key-input').value = '{secret}'; document.getElementById('key').requestSubmit()");
        await browser.WaitForAsync("document.querySelector('#deploys') && document.querySelector('#rollbacks')", TimeSpan.FromSeconds(20), "the lists once the key was given");
        Assert.DoesNotContain(browser.Console, c => c.Contains("Content Security Policy", StringComparison.Ordinal));
    }
}
