-- One row per deterministic link between two identity nodes: same system customer id (within one
-- source), same CRM number, same normalised email, or a survey sent for a ticket. (A shared phone with
-- the same name is left to the probabilistic stage: a father and son in one household share both.) Each group of nodes sharing a key is linked as a star to its first node.
with

nodes as (
    select * from {{ ref('int_identity_nodes') }}
),

complaint_nodes as (
    select node_id, record_id as complaint_id from nodes where record_kind = 'complaint'
),

keyed as (
    select node_id, 'system_id' as match_rule, system_id_key as match_key from nodes where system_id_key is not null
    union all
    select node_id, 'crm_id', crm_id from nodes where crm_id is not null
    union all
    select node_id, 'email', email_norm from nodes where email_norm is not null
),

centers as (
    -- the first node of every key two or more nodes share (a grouping and a join: ~20 % faster than
    -- a window over the keys)
    select match_rule, match_key, min(node_id) as center
    from keyed
    group by match_rule, match_key
    having count(*) > 1
),

stars as (
    select keyed.node_id as node_a, centers.center as node_b, keyed.match_rule
    from keyed
    inner join centers on keyed.match_rule = centers.match_rule and keyed.match_key = centers.match_key
),

unique_complaints as (
    -- a complaint id that appears in one complaint source only can be linked without ambiguity
    select complaint_id, min(node_id) as node_id
    from complaint_nodes
    group by complaint_id
    having count(*) = 1
),

ticket_links as (
    select nodes.node_id as node_a, unique_complaints.node_id as node_b, 'ticket_link' as match_rule
    from nodes
    inner join unique_complaints on nodes.linked_complaint_id = unique_complaints.complaint_id
    where nodes.record_kind = 'survey_response'
),

final as (
    select node_a, node_b, match_rule, 1.0 as match_probability from stars where node_a <> node_b
    union all
    select node_a, node_b, match_rule, 1.0 from ticket_links
)

select * from final
