using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using RollbackFunctions.Core.Ports;
using RollbackFunctions.Infrastructure.Configuration;

namespace RollbackFunctions.Infrastructure.Tests.Audit;

/// <summary>SAFETY.md 10: the one redactor knows every configured secret, the host's own included.</summary>
public sealed class SecretRedactorTests
{
    private const string ApiKey = "ci-key-0123456789abcdef0123456789abcdef";
    private const string AuditKey = "audit-hmac-0123456789abcdef0123456789ab";
    private const string AccountKey = "c3RvcmFnZS1hY2NvdW50LWtleS0wMTIzNDU2Nzg5";
    private const string GitToken = "ghp_0123456789abcdef0123456789abcdef";

    [Fact]
    public void Redact_EveryConfiguredSecret_IsMasked_HostSecretsIncluded()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Rollback:Auth:Keys:pipeline:Secret"] = ApiKey,
            ["Rollback:Auth:Keys:pipeline:Roles:0"] = "ci",
            ["Rollback:Audit:Keys:k1"] = AuditKey,
            ["Rollback:Audit:CurrentKey"] = "k1",
            ["Rollback:Storage:ConnectionString"] = $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AccountKey};TableEndpoint=http://127.0.0.1:10002/devstoreaccount1",
            ["Rollback:Executors:Git:Repositories:config:Url"] = "https://github.com/acme/deploy-config.git",
            ["Rollback:Executors:Git:Repositories:config:Token"] = GitToken,
        }).Build();
        using var services = new ServiceCollection().AddLogging().AddRollbackAdapters(configuration).BuildServiceProvider();
        var redactor = services.GetRequiredService<IRedactor>();

        var masked = redactor.Redact($"tool said: {ApiKey} {AuditKey} {AccountKey} {GitToken} and nothing else");

        Assert.Equal("tool said: *** *** *** *** and nothing else", masked);
    }

    [Fact]
    public void Redact_ConnectionStringAmongTheSecrets_AlsoMasksItsPasswordWhereItAppearsAlone()
    {
        // Npgsql and tools quote parts of a connection string, not always the whole of it.
        var redactor = new RollbackFunctions.Infrastructure.Audit.SecretRedactor(["Host=db;Database=orders;Username=owner;Password=pw-orders-7781"]);

        Assert.Equal("login with *** failed", redactor.Redact("login with pw-orders-7781 failed"));
    }
}
