using AbandonedCart.Activities.Customers;
using Dapper;
using Npgsql;

namespace AbandonedCart.Activities.Storage;

/// <summary>Customers, their channel properties and consents (with history).</summary>
public sealed class CustomerStore(NpgsqlDataSource dataSource)
{
    /// <summary>The profile with its currently granted consents, or null for an unknown customer.</summary>
    public async Task<CustomerProfile?> FindAsync(string customerId, CancellationToken cancellationToken = default)
    {
        const string sql = """
            SELECT id, email, email_valid AS EmailValid, phone, phone_valid AS PhoneValid, time_zone AS TimeZone,
                   fcm_token AS FcmToken, apns_token AS ApnsToken, huawei_token AS HuaweiToken,
                   web_push_endpoint AS WebPushEndpoint, web_push_p256dh AS WebPushP256dh,
                   web_push_auth AS WebPushAuth, line_user_id AS LineUserId
            FROM customers WHERE id = @customerId;
            SELECT category FROM consents WHERE customer_id = @customerId AND granted;
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var results = await connection.QueryMultipleAsync(
            new CommandDefinition(sql, new { customerId }, cancellationToken: cancellationToken));
        var row = await results.ReadSingleOrDefaultAsync<CustomerRow>();
        var consents = (await results.ReadAsync<string>()).ToHashSet(StringComparer.Ordinal);
        return row?.ToProfile(consents);
    }

    /// <summary>Creates the customer row when the first event for an unknown customer arrives; never overwrites.</summary>
    public async Task EnsureExistsAsync(string customerId, CancellationToken cancellationToken = default)
    {
        const string sql = "INSERT INTO customers (id) VALUES (@customerId) ON CONFLICT (id) DO NOTHING";
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(sql, new { customerId }, cancellationToken: cancellationToken));
    }

    /// <summary>Inserts or replaces the channel properties of a customer. Consents are changed with <see cref="SetConsentAsync"/>.</summary>
    public async Task UpsertAsync(CustomerProfile profile, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(profile);
        const string sql = """
            INSERT INTO customers (id, email, email_valid, phone, phone_valid, time_zone, fcm_token, apns_token,
                                   huawei_token, web_push_endpoint, web_push_p256dh, web_push_auth, line_user_id)
            VALUES (@Id, @Email, @EmailValid, @Phone, @PhoneValid, @TimeZone, @FcmToken, @ApnsToken,
                    @HuaweiToken, @WebPushEndpoint, @WebPushP256dh, @WebPushAuth, @LineUserId)
            ON CONFLICT (id) DO UPDATE SET
                email = excluded.email, email_valid = excluded.email_valid, phone = excluded.phone,
                phone_valid = excluded.phone_valid, time_zone = excluded.time_zone, fcm_token = excluded.fcm_token,
                apns_token = excluded.apns_token, huawei_token = excluded.huawei_token,
                web_push_endpoint = excluded.web_push_endpoint, web_push_p256dh = excluded.web_push_p256dh,
                web_push_auth = excluded.web_push_auth, line_user_id = excluded.line_user_id, updated_at = now()
            """;
        var args = new
        {
            profile.Id,
            profile.Email,
            profile.EmailValid,
            profile.Phone,
            profile.PhoneValid,
            profile.TimeZone,
            profile.FcmToken,
            profile.ApnsToken,
            profile.HuaweiToken,
            WebPushEndpoint = profile.WebPush?.Endpoint,
            WebPushP256dh = profile.WebPush?.P256dh,
            WebPushAuth = profile.WebPush?.Auth,
            profile.LineUserId,
        };
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(sql, args, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Grants or withdraws one consent category. The history row is written in the same transaction, and only when
    /// the value changes, so the history is the exact sequence of states the customer was in.
    /// </summary>
    public async Task SetConsentAsync(
        string customerId, string category, bool granted, DateTimeOffset changedAt, string source = "api", CancellationToken cancellationToken = default)
    {
        const string sql = """
            INSERT INTO customers (id) VALUES (@customerId) ON CONFLICT (id) DO NOTHING;
            WITH changed AS (
                INSERT INTO consents (customer_id, category, granted, changed_at, source)
                VALUES (@customerId, @category, @granted, @changedAt, @source)
                ON CONFLICT (customer_id, category) DO UPDATE
                    SET granted = excluded.granted, changed_at = excluded.changed_at, source = excluded.source
                    WHERE consents.granted IS DISTINCT FROM excluded.granted
                RETURNING 1
            )
            INSERT INTO consent_history (customer_id, category, granted, changed_at, source)
            SELECT @customerId, @category, @granted, @changedAt, @source FROM changed;
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            sql, new { customerId, category, granted, changedAt, source }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>
    /// Marks the property a provider refused as unusable, so eligibility skips the channel from now on: an address is
    /// flagged invalid (kept for the audit), a dead push token, subscription or LINE user id is removed.
    /// <paramref name="property"/> is the first detail of an <c>InvalidAddress</c>/<c>TokenInvalid</c> failure.
    /// </summary>
    public async Task MarkPropertyInvalidAsync(string customerId, string property, CancellationToken cancellationToken = default)
    {
        var set = property switch
        {
            "email" => "email_valid = false",
            "phone" => "phone_valid = false",
            "fcm_token" => "fcm_token = NULL",
            "apns_token" => "apns_token = NULL",
            "huawei_token" => "huawei_token = NULL",
            "line_user_id" => "line_user_id = NULL",
            "web_push" => "web_push_endpoint = NULL, web_push_p256dh = NULL, web_push_auth = NULL",
            _ => throw new ArgumentException($"Unknown customer property '{property}'.", nameof(property)),
        };
        var sql = $"UPDATE customers SET {set}, updated_at = now() WHERE id = @customerId";
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(sql, new { customerId }, cancellationToken: cancellationToken));
    }

    /// <summary>The customer with this email (case-insensitive) or E.164 phone; null when none. Webhooks that carry only an address use it.</summary>
    public async Task<string?> FindIdByAddressAsync(string? email, string? phone, CancellationToken cancellationToken = default)
    {
        const string sql = """
            SELECT id FROM customers
            WHERE (@email IS NOT NULL AND lower(email) = lower(@email)) OR (@phone IS NOT NULL AND phone = @phone)
            ORDER BY updated_at DESC LIMIT 1
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<string?>(new CommandDefinition(sql, new { email, phone }, cancellationToken: cancellationToken));
    }

    private sealed record CustomerRow
    {
        public required string Id { get; init; }

        public string? Email { get; init; }

        public bool EmailValid { get; init; }

        public string? Phone { get; init; }

        public bool PhoneValid { get; init; }

        public string? TimeZone { get; init; }

        public string? FcmToken { get; init; }

        public string? ApnsToken { get; init; }

        public string? HuaweiToken { get; init; }

        public string? WebPushEndpoint { get; init; }

        public string? WebPushP256dh { get; init; }

        public string? WebPushAuth { get; init; }

        public string? LineUserId { get; init; }

        public CustomerProfile ToProfile(IReadOnlySet<string> consents) => new()
        {
            Id = Id,
            Email = Email,
            EmailValid = EmailValid,
            Phone = Phone,
            PhoneValid = PhoneValid,
            TimeZone = TimeZone,
            FcmToken = FcmToken,
            ApnsToken = ApnsToken,
            HuaweiToken = HuaweiToken,
            WebPush = WebPushEndpoint is null ? null : new WebPushSubscription(WebPushEndpoint, WebPushP256dh ?? string.Empty, WebPushAuth ?? string.Empty),
            LineUserId = LineUserId,
            Consents = consents,
        };
    }
}
