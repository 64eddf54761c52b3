using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace AbandonedCart.Activities.Channels;

/// <summary><c>Providers:GoogleAds</c>: a Customer Match user list reached through the Data Manager API.</summary>
public sealed class GoogleAudienceOptions : IProviderOptions
{
    public const string Section = "Providers:GoogleAds";

    /// <summary>The service-account key JSON itself (a secret), or set <see cref="ServiceAccountFile"/>.</summary>
    public string? ServiceAccountJson { get; set; }

    public string? ServiceAccountFile { get; set; }

    /// <summary>GOOGLE_ADS (or DISPLAY_VIDEO_ADVERTISER …): the account that owns the user list.</summary>
    public string OperatingAccountType { get; set; } = "GOOGLE_ADS";

    public string OperatingAccountId { get; set; } = string.Empty;

    /// <summary>A manager account, when the service account reaches the operating account through one.</summary>
    public string? LoginAccountId { get; set; }

    /// <summary>The Customer Match user list id (the destination's <c>productDestinationId</c>).</summary>
    public string UserListId { get; set; } = string.Empty;

    public string BaseUrl { get; set; } = "https://datamanager.googleapis.com";

    public IEnumerable<string> Problems()
    {
        if (string.IsNullOrWhiteSpace(ServiceAccountJson) && !File.Exists(ServiceAccountFile))
        {
            yield return "ServiceAccountJson or an existing ServiceAccountFile is required";
        }

        if (string.IsNullOrWhiteSpace(OperatingAccountId) || string.IsNullOrWhiteSpace(UserListId))
        {
            yield return "OperatingAccountId and UserListId are required";
        }

        if (!Uri.TryCreate(BaseUrl, UriKind.Absolute, out _))
        {
            yield return "BaseUrl must be an absolute URL";
        }
    }
}

/// <summary>
/// Google Customer Match through the Data Manager API (<c>audienceMembers:ingest</c> / <c>audienceMembers:remove</c>):
/// one call per change, no job to create and run as with the Google Ads API's OfflineUserDataJob.
/// </summary>
public sealed class GoogleAudienceSender(
    HttpClient http, IOptions<GoogleAudienceOptions> options, [FromKeyedServices(GoogleAudienceSender.Name)] GoogleServiceAccount account) : IAudienceSender
{
    public const string Name = "google_customer_match";
    public const string Scope = "https://www.googleapis.com/auth/datamanager";

    public string Audience => "google";

    public string Provider => Name;

    /// <summary>The Data Manager API's rule for emails: remove all whitespace (leading, trailing and inside), lower-case;
    /// then SHA-256, hex. It documents no gmail.com dot or plus rewriting, so none is done.</summary>
    public static string HashEmail(string email)
    {
        ArgumentNullException.ThrowIfNull(email);
        var normalised = string.Concat(email.Where(c => !char.IsWhiteSpace(c))).ToLowerInvariant();
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(normalised)));
    }

    public Task AddAsync(string customerId, string email, string idempotencyKey, CancellationToken cancellationToken) =>
        SendAsync("ingest", HashEmail(email), adding: true, cancellationToken);

    public Task RemoveAsync(string customerId, string email, string idempotencyKey, CancellationToken cancellationToken) =>
        SendAsync("remove", HashEmail(email), adding: false, cancellationToken);

    public Task RemoveHashedAsync(string customerId, string memberHash, string idempotencyKey, CancellationToken cancellationToken) =>
        SendAsync("remove", memberHash, adding: false, cancellationToken);

    // Membership is a set at Google, so a retried add or remove changes nothing more.
    private async Task SendAsync(string verb, string hashedEmail, bool adding, CancellationToken cancellationToken)
    {
        var o = options.Value;
        var destination = new Dictionary<string, object>
        {
            ["operatingAccount"] = new Dictionary<string, string> { ["accountType"] = o.OperatingAccountType, ["accountId"] = o.OperatingAccountId },
            ["productDestinationId"] = o.UserListId,
        };
        if (!string.IsNullOrWhiteSpace(o.LoginAccountId))
        {
            destination["loginAccount"] = new Dictionary<string, string> { ["accountType"] = o.OperatingAccountType, ["accountId"] = o.LoginAccountId };
        }

        var body = new Dictionary<string, object>
        {
            ["destinations"] = new[] { destination },
            ["audienceMembers"] = new[]
            {
                new Dictionary<string, object>
                {
                    ["userData"] = new Dictionary<string, object> { ["userIdentifiers"] = new[] { new Dictionary<string, string> { ["emailAddress"] = hashedEmail } } },
                },
            },
            ["encoding"] = "HEX",
        };
        if (adding)
        {
            // The journey adds only customers with ads consent; the operator accepted the Customer Match terms.
            body["consent"] = new Dictionary<string, string> { ["adUserData"] = "CONSENT_GRANTED", ["adPersonalization"] = "CONSENT_GRANTED" };
            body["termsOfService"] = new Dictionary<string, string> { ["customerMatchTermsOfServiceStatus"] = "ACCEPTED" };
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri($"{o.BaseUrl.TrimEnd('/')}/v1/audienceMembers:{verb}")) { Content = JsonContent.Create(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await account.AccessTokenAsync(Name, cancellationToken));
        using var response = await ProviderErrors.SendAsync(http, request, Name, cancellationToken);
    }
}
